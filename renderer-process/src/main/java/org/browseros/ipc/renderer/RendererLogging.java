package org.browseros.ipc.renderer;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ConfiguratorRank;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.spi.ContextAwareBase;

/**
 * The logging of a renderer JVM that main launched ({@value RendererMain#ENV_RENDERER_ID} set, or a
 * spare: {@value RendererMain#ENV_SPARE}), built
 * in code: the same as this module's {@code logback.xml} (stderr, Pekko at WARN, the rest at INFO)
 * without parsing XML, which took 60-80 ms of a quiet renderer start and several hundred ms when
 * two renderers and main start together on 2 cores (start-up, issue 5). Everything else (consoles,
 * tests with their {@code logback-test.xml}, {@code -Dlogback.configurationFile}) goes on to
 * logback's usual files.
 */
@ConfiguratorRank(ConfiguratorRank.CUSTOM_HIGH_PRIORITY)
public final class RendererLogging extends ContextAwareBase implements Configurator {
  static final String PATTERN = "%date{ISO8601} %-5level %logger{36} - %msg%n";

  @Override
  public ExecutionStatus configure(LoggerContext context) {
    if ((System.getenv(RendererMain.ENV_RENDERER_ID) == null && !RendererMain.isSpare(System.getenv()))
        || System.getProperty("logback.configurationFile") != null
        || RendererLogging.class.getClassLoader().getResource("logback-test.xml") != null) {
      return ExecutionStatus.NEUTRAL;
    }
    configureStderr(context);
    return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
  }

  /** What {@code logback.xml} configures. */
  static void configureStderr(LoggerContext context) {
    PatternLayoutEncoder encoder = new PatternLayoutEncoder();
    encoder.setContext(context);
    encoder.setPattern(PATTERN);
    encoder.start();
    ConsoleAppender<ILoggingEvent> stderr = new ConsoleAppender<>();
    stderr.setContext(context);
    stderr.setName("STDERR");
    stderr.setTarget("System.err");
    stderr.setEncoder(encoder);
    stderr.start();
    ch.qos.logback.classic.Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    root.setLevel(Level.INFO);
    root.addAppender(stderr);
    context.getLogger("org.apache.pekko").setLevel(Level.WARN);
  }
}
