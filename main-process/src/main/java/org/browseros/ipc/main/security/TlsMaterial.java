package org.browseros.ipc.main.security;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.browseros.ipc.protocol.TransportSecurity;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Generates the TLS key material at first start: a PKCS12 key store holding a self-signed EC P-256
 * key pair (made by the JDK's own {@code keytool}), a trust store holding its certificate, and their
 * random password, all in {@code <data-dir>/tls} with owner-only permissions. Later starts reuse it.
 *
 * <p>The stores use one PBKDF2 iteration ({@link #PBE_ITERATIONS}) where the JDK defaults to
 * 10,000. Iterations stretch a guessable password; ours is 192 random bits, which no stretching
 * makes harder to guess, while every JVM that loads the stores (main twice, each renderer and
 * console) paid the 10,000 rounds on a cold JIT: 29% of a renderer's start-up CPU (issue 5).
 */
public final class TlsMaterial {
  private static final Logger log = LoggerFactory.getLogger(TlsMaterial.class);
  private static final String ALIAS = "browseros";
  /** PBKDF2 iterations of the stores' MAC and of their key and certificate encryption. */
  static final int PBE_ITERATIONS = 1;

  private TlsMaterial() {}

  /**
   * The TLS directory under {@code dataDir}, generating what is missing: the edge set (shared with
   * renderers and consoles) and the core set (main only, see {@link TransportSecurity#CORE_PREFIX}).
   */
  public static Path ensure(Path dataDir) throws IOException, InterruptedException {
    Path dir = dataDir.resolve(TransportSecurity.DIRECTORY);
    Files.createDirectories(dataDir);
    ownerOnlyDirectory(dir);
    for (String prefix : List.of("", TransportSecurity.CORE_PREFIX)) {
      if (!TransportSecurity.present(dir, prefix)) {
        generate(dir, prefix);
      }
    }
    return dir;
  }

  private static void generate(Path dir, String prefix) throws IOException, InterruptedException {
    Path work = Files.createTempDirectory(dir, ".gen");
    try {
      byte[] random = new byte[24];
      new SecureRandom().nextBytes(random);
      String password = Base64.getUrlEncoder().withoutPadding().encodeToString(random);
      Path keyStore = work.resolve(prefix + TransportSecurity.KEY_STORE);
      keytool(List.of("-genkeypair", "-alias", ALIAS, "-keyalg", "EC", "-groupname", "secp256r1",
          "-sigalg", "SHA256withECDSA", "-validity", "3650", "-dname", "CN=browseros-ipc-" + (prefix.isEmpty() ? "edge" : "core"),
          "-storetype", "PKCS12", "-keystore", keyStore.toString()), password);
      // The trust store is the key store with its key swapped for the certificate: a loaded PKCS12
      // store is saved with the protection it was loaded with, a new one would get the JVM's default.
      KeyStore trust = KeyStore.getInstance("PKCS12");
      try (InputStream in = Files.newInputStream(keyStore)) {
        trust.load(in, password.toCharArray());
      }
      Certificate certificate = trust.getCertificate(ALIAS);
      trust.deleteEntry(ALIAS);
      trust.setCertificateEntry(ALIAS, certificate);
      Path trustStore = work.resolve(prefix + TransportSecurity.TRUST_STORE);
      try (OutputStream out = Files.newOutputStream(trustStore)) {
        trust.store(out, password.toCharArray());
      }
      Path passwordFile = work.resolve(prefix + TransportSecurity.PASSWORD_FILE);
      Files.writeString(passwordFile, password, StandardCharsets.UTF_8);
      for (Path file : List.of(keyStore, trustStore, passwordFile)) {
        ownerOnlyFile(file);
        Files.move(file, dir.resolve(file.getFileName()), StandardCopyOption.REPLACE_EXISTING);
      }
      log.info("Generated TLS key material [{}*] in [{}]", prefix, dir);
    } catch (java.security.GeneralSecurityException e) {
      throw new IOException("Cannot build the TLS trust store: " + e.getMessage(), e);
    } finally {
      try (var files = Files.list(work)) {
        for (Path f : files.toList()) {
          Files.deleteIfExists(f);
        }
      }
      Files.deleteIfExists(work);
    }
  }

  /** Runs the JDK's keytool; the password goes through its environment, not its command line. */
  private static void keytool(List<String> args, String password) throws IOException, InterruptedException {
    Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
    List<String> command = new java.util.ArrayList<>();
    command.add(keytool.toString());
    for (String property : List.of("macIterationCount", "keyPbeIterationCount", "certPbeIterationCount")) {
      command.add("-J-Dkeystore.pkcs12." + property + "=" + PBE_ITERATIONS);
    }
    command.addAll(args);
    command.addAll(List.of("-storepass:env", "BROWSEROS_STORE_PASSWORD", "-keypass:env", "BROWSEROS_STORE_PASSWORD"));
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.environment().put("BROWSEROS_STORE_PASSWORD", password);
    Process process = builder.start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new IOException("keytool did not finish in time");
    }
    if (process.exitValue() != 0) {
      throw new IOException("keytool failed (" + process.exitValue() + "): " + output.strip());
    }
  }

  private static void ownerOnlyDirectory(Path dir) throws IOException {
    Files.createDirectories(dir);
    try {
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
    } catch (UnsupportedOperationException e) {
      log.warn("Cannot restrict permissions of [{}] on this file system", dir);
    }
  }

  private static void ownerOnlyFile(Path file) throws IOException {
    try {
      Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    } catch (UnsupportedOperationException e) {
      log.warn("Cannot restrict permissions of [{}] on this file system", file);
    }
  }
}
