package dev.drawbridge.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.encoder.Encoder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.bridge.SLF4JBridgeHandler;

/** Sets up logs once per process: plain lines or one JSON object per line, on stderr; JUL (Helidon) routed to SLF4J. */
final class Logging {
    private Logging() {}

    static void configure(String format, String level) {
        SLF4JBridgeHandler.removeHandlersForRootLogger();
        SLF4JBridgeHandler.install();
        LoggerContext lc = (LoggerContext) LoggerFactory.getILoggerFactory();
        lc.reset();
        Encoder<ILoggingEvent> encoder;
        if (format.equals("json")) {
            JsonEncoder json = new JsonEncoder();
            encoder = json;
        } else if (format.equals("plain")) {
            PatternLayoutEncoder plain = new PatternLayoutEncoder();
            plain.setPattern("%d{HH:mm:ss.SSS} %-5level %logger{0} - %msg%n");
            encoder = plain;
        } else {
            throw new CliException("log.format must be plain or json, not '" + format + "'");
        }
        encoder.setContext(lc);
        encoder.start();
        ConsoleAppender<ILoggingEvent> appender = new ConsoleAppender<>();
        appender.setContext(lc);
        appender.setTarget("System.err");
        appender.setEncoder(encoder);
        appender.start();
        ch.qos.logback.classic.Logger root = lc.getLogger(Logger.ROOT_LOGGER_NAME);
        root.setLevel(Level.toLevel(level, Level.INFO));
        root.addAppender(appender);
        lc.getLogger("io.helidon").setLevel(Level.WARN);
        lc.getLogger("org.flywaydb").setLevel(Level.WARN);
        lc.getLogger("com.zaxxer.hikari").setLevel(Level.WARN);
    }
}
