package org.browseros.ipc.main;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.AsyncAppender;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.filter.ThresholdFilter;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.classic.spi.Configurator.ExecutionStatus;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.rolling.RollingFileAppender;
import ch.qos.logback.core.rolling.SizeAndTimeBasedRollingPolicy;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Main's logging built in code is the one its logback.xml describes, and only for main's own start. */
class MainLoggingTest {

  @TempDir
  Path dataDir;

  @Test
  void shouldConfigureWhatLogbackXmlConfigures() throws Exception {
    LoggerContext fromXml = new LoggerContext();
    String before = System.getProperty(MainLogging.DATA_DIR_PROPERTY);
    System.setProperty(MainLogging.DATA_DIR_PROPERTY, dataDir.toString());
    try {
      JoranConfigurator joran = new JoranConfigurator();
      joran.setContext(fromXml);
      joran.doConfigure(MainLogging.class.getResource("/logback.xml"));
    } finally {
      if (before == null) {
        System.clearProperty(MainLogging.DATA_DIR_PROPERTY);
      } else {
        System.setProperty(MainLogging.DATA_DIR_PROPERTY, before);
      }
    }
    LoggerContext inCode = new LoggerContext();
    MainLogging.configure(inCode, dataDir);
    try {
      assertEquals(describe(fromXml), describe(inCode));
      assertTrue(describe(inCode).get("appender ASYNC_FILE > FILE").contains(dataDir.resolve("logs/main.log").toString()),
          "in the data dir");
      // Set in both but not readable back from logback's objects: the file must say what the code does.
      String xml;
      try (InputStream in = MainLogging.class.getResourceAsStream("/logback.xml")) {
        xml = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      }
      for (String element : List.of("<maxFileSize>" + MainLogging.MAX_FILE_SIZE + "</maxFileSize>",
          "<totalSizeCap>" + MainLogging.TOTAL_SIZE_CAP + "</totalSizeCap>")) {
        assertTrue(xml.contains(element), "logback.xml has " + element);
      }
    } finally {
      fromXml.stop();
      inCode.stop();
    }
  }

  @Test
  void shouldWriteTheDataDirsMainLogThroughTheAsyncAppender() throws Exception {
    LoggerContext context = new LoggerContext();
    // What SLF4J's own context has (the file pattern prints the MDC).
    context.setMDCAdapter(new ch.qos.logback.classic.util.LogbackMDCAdapter());
    MainLogging.configure(context, dataDir);
    context.getLogger("org.browseros.ipc.main.Example").info("written [{}]", 42);
    context.getLogger("org.apache.pekko.Example").info("below Pekko's level");
    context.stop();
    String log = Files.readString(dataDir.resolve("logs/main.log"));
    assertTrue(log.contains("INFO  [main] org.browseros.ipc.main.Example {} - written [42]"), log);
    assertTrue(!log.contains("below Pekko's level"), log);
  }

  @Test
  void shouldStandAsideUnlessMainProcessStartsLoggingAndWithATestConfiguration() {
    // Registered for logback's service loader.
    assertTrue(ServiceLoader.load(ch.qos.logback.classic.spi.Configurator.class).stream()
        .anyMatch(p -> p.type() == MainLogging.class));
    // Nobody is starting main's logging: an embedding JVM keeps logback's own configuration.
    assertEquals(ExecutionStatus.NEUTRAL, new MainLogging().configure(new LoggerContext()));
    // This test JVM has a logback-test.xml: useDataDir leaves it in place.
    LoggerContext context = (LoggerContext) org.slf4j.LoggerFactory.getILoggerFactory();
    List<String> appenders = appenderNames(context);
    MainLogging.useDataDir(dataDir);
    assertEquals(appenders, appenderNames(context));
    assertEquals(ExecutionStatus.NEUTRAL, new MainLogging().configure(new LoggerContext()), "only during useDataDir");
  }

  private static List<String> appenderNames(LoggerContext context) {
    List<String> names = new ArrayList<>();
    context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).iteratorForAppenders().forEachRemaining(a -> names.add(a.getName()));
    return names;
  }

  /** Levels, appenders and everything logback lets one read back of them, by name. */
  private static Map<String, String> describe(LoggerContext context) {
    Map<String, String> d = new TreeMap<>();
    for (ch.qos.logback.classic.Logger logger : context.getLoggerList()) {
      if (logger.getLevel() != null) {
        d.put("level " + logger.getName(), logger.getLevel().toString());
      }
    }
    context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).iteratorForAppenders().forEachRemaining(a -> describe(a, "", d));
    return d;
  }

  private static void describe(Appender<ILoggingEvent> appender, String parent, Map<String, String> d) {
    String key = "appender " + parent + appender.getName();
    StringBuilder b = new StringBuilder(appender.getClass().getSimpleName()).append(" started=").append(appender.isStarted());
    appender.getCopyOfAttachedFiltersList().forEach(f -> b.append(" filter=").append(
        f instanceof ThresholdFilter ? "threshold" : f.getClass().getSimpleName()));
    if (appender instanceof ConsoleAppender<ILoggingEvent> console) {
      b.append(" target=").append(console.getTarget())
          .append(" pattern=").append(((PatternLayoutEncoder) console.getEncoder()).getPattern());
    }
    if (appender instanceof RollingFileAppender<ILoggingEvent> file) {
      SizeAndTimeBasedRollingPolicy<?> rolling = assertInstanceOf(SizeAndTimeBasedRollingPolicy.class, file.getRollingPolicy());
      b.append(" file=").append(file.getFile())
          .append(" pattern=").append(((PatternLayoutEncoder) file.getEncoder()).getPattern())
          .append(" rolled=").append(rolling.getFileNamePattern())
          .append(" history=").append(rolling.getMaxHistory());
    }
    if (appender instanceof AsyncAppender async) {
      b.append(" queue=").append(async.getQueueSize()).append(" discarding=").append(async.getDiscardingThreshold())
          .append(" neverBlock=").append(async.isNeverBlock());
      async.iteratorForAppenders().forEachRemaining(a -> describe(a, appender.getName() + " > ", d));
    }
    d.put(key, b.toString());
  }
}
