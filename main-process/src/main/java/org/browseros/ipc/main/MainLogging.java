package org.browseros.ipc.main;

import ch.qos.logback.classic.AsyncAppender;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.filter.ThresholdFilter;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ConfiguratorRank;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.FileAppender;
import ch.qos.logback.core.rolling.RollingFileAppender;
import ch.qos.logback.core.rolling.SizeAndTimeBasedRollingPolicy;
import ch.qos.logback.core.spi.ContextAwareBase;
import ch.qos.logback.core.util.FileSize;
import java.nio.file.Path;
import java.util.Map;
import org.slf4j.LoggerFactory;

/**
 * The main process's production logging, {@code <data-dir>/logs/main.log}, for the data dir chosen
 * at start-up: the full log (INFO and up for our code, with the MDC fields) through an async
 * appender, rolled daily and at 20 MB; warnings and errors also on stderr.
 *
 * <p>Built in code (a logback {@link Configurator}, {@code META-INF/services}) when {@link MainProcess}
 * starts logging through {@link #useDataDir}: the same appenders, patterns and levels as the module's
 * {@code logback.xml}, which stays the readable form ({@code MainLoggingTest} compares the two), without
 * parsing XML: about 90 ms less of main's start-up CPU on the 2-core VM (issue 5). Everything else
 * goes to logback's usual configuration: tests with their {@code logback-test.xml}, a deployment's
 * {@code -Dlogback.configurationFile}, and JVMs that embed main without {@link MainProcess}.
 */
@ConfiguratorRank(ConfiguratorRank.CUSTOM_HIGH_PRIORITY)
public final class MainLogging extends ContextAwareBase implements Configurator {
  public static final String DATA_DIR_PROPERTY = "browseros.data-dir";

  static final String CONSOLE_PATTERN = "%d{HH:mm:ss.SSS} %-5level %logger{24} - %msg%n";
  static final String FILE_PATTERN = "%d{ISO8601} %-5level [%thread] %logger{36} {%mdc} - %msg%n";
  static final String MAX_FILE_SIZE = "20MB";
  static final int MAX_HISTORY = 7;
  static final String TOTAL_SIZE_CAP = "500MB";
  static final int QUEUE_SIZE = 8192;
  // Keep WARN and up even when the queue is full; drop INFO rather than block a connection.
  static final int DISCARDING_THRESHOLD = 20;
  static final Map<String, Level> LEVELS = Map.of(
      "org.browseros", Level.INFO, "org.apache.pekko", Level.WARN, "slick", Level.WARN, "com.zaxxer", Level.WARN);

  /** The data dir {@link #useDataDir} starts logging for; null otherwise (then this configurator stands aside). */
  private static volatile Path starting;

  /** For logback's service loader. */
  public MainLogging() {}

  @Override
  public ExecutionStatus configure(LoggerContext context) {
    Path dataDir = starting;
    if (dataDir == null || configuredElsewhere()) {
      return ExecutionStatus.NEUTRAL;
    }
    configure(context, dataDir);
    return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
  }

  /**
   * Logs to {@code dataDir}'s {@code logs/main.log}. Logging usually starts right here; if it
   * started before with another file (or none of ours), it is configured again for this one.
   */
  public static void useDataDir(Path dataDir) {
    Path dir = dataDir.toAbsolutePath().normalize();
    // logback.xml (a deployment's copy of it, or logback's own start in an embedding JVM) reads it.
    System.setProperty(DATA_DIR_PROPERTY, dir.toString());
    starting = dir;
    try {
      // The file check first: after the usual start (this configurator ran) it answers without
      // another classpath-wide lookup of logback-test.xml.
      if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)
          || writesTo(context, dir.resolve("logs").resolve("main.log")) || configuredElsewhere()) {
        return;
      }
      context.reset();
      configure(context, dir);
    } finally {
      starting = null;
    }
  }

  /** A configuration logback must use instead: a test's {@code logback-test.xml} or {@code -Dlogback.configurationFile}. */
  private static boolean configuredElsewhere() {
    return System.getProperty("logback.configurationFile") != null
        || MainLogging.class.getClassLoader().getResource("logback-test.xml") != null;
  }

  /** What {@code logback.xml} configures, for {@code dataDir}. */
  static void configure(LoggerContext context, Path dataDir) {
    String logDir = dataDir.resolve("logs").toString();

    ConsoleAppender<ILoggingEvent> console = new ConsoleAppender<>();
    console.setContext(context);
    console.setName("CONSOLE");
    console.setTarget("System.err");
    ThresholdFilter warnings = new ThresholdFilter();
    warnings.setContext(context);
    warnings.setLevel(Level.WARN.toString());
    warnings.start();
    console.addFilter(warnings);
    console.setEncoder(encoder(context, CONSOLE_PATTERN));
    console.start();

    RollingFileAppender<ILoggingEvent> file = new RollingFileAppender<>();
    file.setContext(context);
    file.setName("FILE");
    file.setFile(logDir + "/main.log");
    SizeAndTimeBasedRollingPolicy<ILoggingEvent> rolling = new SizeAndTimeBasedRollingPolicy<>();
    rolling.setContext(context);
    rolling.setParent(file);
    rolling.setFileNamePattern(logDir + "/main.%d{yyyy-MM-dd}.%i.log.gz");
    rolling.setMaxFileSize(FileSize.valueOf(MAX_FILE_SIZE));
    rolling.setMaxHistory(MAX_HISTORY);
    rolling.setTotalSizeCap(FileSize.valueOf(TOTAL_SIZE_CAP));
    rolling.start();
    file.setRollingPolicy(rolling);
    file.setEncoder(encoder(context, FILE_PATTERN));
    file.start();

    AsyncAppender async = new AsyncAppender();
    async.setContext(context);
    async.setName("ASYNC_FILE");
    async.setQueueSize(QUEUE_SIZE);
    async.setDiscardingThreshold(DISCARDING_THRESHOLD);
    async.setNeverBlock(true);
    async.addAppender(file);
    async.start();

    LEVELS.forEach((name, level) -> context.getLogger(name).setLevel(level));
    ch.qos.logback.classic.Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    root.setLevel(Level.WARN);
    root.addAppender(console);
    root.addAppender(async);
  }

  private static PatternLayoutEncoder encoder(LoggerContext context, String pattern) {
    PatternLayoutEncoder encoder = new PatternLayoutEncoder();
    encoder.setContext(context);
    encoder.setPattern(pattern);
    encoder.start();
    return encoder;
  }

  /** Whether the production file appender is in place and writes to {@code file}. */
  private static boolean writesTo(LoggerContext context, Path file) {
    var root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    if (root.getAppender("ASYNC_FILE") instanceof AsyncAppender async
        && async.getAppender("FILE") instanceof FileAppender<?> appender
        && appender.getFile() != null) {
      return Path.of(appender.getFile()).toAbsolutePath().normalize().equals(file.normalize());
    }
    return false;
  }
}
