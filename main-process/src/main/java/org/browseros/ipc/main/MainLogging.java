package org.browseros.ipc.main;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import java.net.URL;
import java.nio.file.Path;
import org.slf4j.LoggerFactory;

/**
 * Points the production logging ({@code logback.xml}: {@code <data-dir>/logs/main.log}) at the data
 * dir chosen at start-up. Logback may already be configured by then (with the default dir), so it
 * is configured again with the {@code browseros.data-dir} system property set.
 */
public final class MainLogging {
  public static final String DATA_DIR_PROPERTY = "browseros.data-dir";

  private MainLogging() {}

  public static void useDataDir(Path dataDir) {
    System.setProperty(DATA_DIR_PROPERTY, dataDir.toAbsolutePath().toString());
    if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
      return;
    }
    URL config = MainLogging.class.getClassLoader().getResource("logback.xml");
    // Tests bring logback-test.xml, which logback prefers: leave their configuration alone.
    if (config == null || MainLogging.class.getClassLoader().getResource("logback-test.xml") != null) {
      return;
    }
    // Usually logback starts right here, with the property already set: configuring it again would
    // only parse logback.xml a second time (a few hundred ms of main's start on a busy 2-core VM).
    if (writesTo(context, dataDir.toAbsolutePath().resolve("logs").resolve("main.log"))) {
      return;
    }
    try {
      JoranConfigurator configurator = new JoranConfigurator();
      configurator.setContext(context);
      context.reset();
      configurator.doConfigure(config);
    } catch (Exception e) {
      System.err.println("Could not configure logging for " + dataDir + ": " + e);
    }
  }

  /** Whether the production file appender of {@code logback.xml} is in place and writes to {@code file}. */
  private static boolean writesTo(LoggerContext context, Path file) {
    var root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    if (root.getAppender("ASYNC_FILE") instanceof ch.qos.logback.classic.AsyncAppender async
        && async.getAppender("FILE") instanceof ch.qos.logback.core.FileAppender<?> appender
        && appender.getFile() != null) {
      return Path.of(appender.getFile()).toAbsolutePath().normalize().equals(file.normalize());
    }
    return false;
  }
}
