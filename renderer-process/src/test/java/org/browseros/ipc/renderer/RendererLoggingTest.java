package org.browseros.ipc.renderer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.Configurator.ExecutionStatus;
import ch.qos.logback.core.ConsoleAppender;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The renderer's logging set up in code is the one of its logback.xml, and only for renderers main launched. */
class RendererLoggingTest {

  @Test
  void shouldLeaveJvmsThatMainDidNotLaunchToTheirLogbackFiles() {
    // This test JVM is no launched renderer (and has a logback-test.xml).
    assertEquals(ExecutionStatus.NEUTRAL, new RendererLogging().configure(new LoggerContext()));
  }

  @Test
  void shouldConfigureWhatLogbackXmlConfigures() throws Exception {
    LoggerContext context = new LoggerContext();
    RendererLogging.configureStderr(context);

    ch.qos.logback.classic.Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    assertEquals(Level.INFO, root.getLevel());
    assertEquals(Level.WARN, context.getLogger("org.apache.pekko").getLevel());
    ConsoleAppender<?> stderr = (ConsoleAppender<?>) root.getAppender("STDERR");
    assertEquals("System.err", stderr.getTarget(), "stdout stays for the program's own lines");
    assertTrue(stderr.isStarted());
    String xml;
    try (InputStream in = RendererLogging.class.getResourceAsStream("/logback.xml")) {
      xml = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    Matcher pattern = Pattern.compile("<pattern>(.*)</pattern>").matcher(xml);
    assertTrue(pattern.find());
    assertEquals(pattern.group(1), ((PatternLayoutEncoder) stderr.getEncoder()).getPattern(), "the same line format");
    assertTrue(xml.contains("<logger name=\"org.apache.pekko\" level=\"WARN\"/>") && xml.contains("<root level=\"INFO\">"),
        "logback.xml says the same levels");
  }
}
