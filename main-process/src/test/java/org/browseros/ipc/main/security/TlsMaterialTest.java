package org.browseros.ipc.main.security;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.util.ArrayList;
import java.util.List;
import org.browseros.ipc.protocol.TransportSecurity;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The key material main generates at first start: usable stores, owner-only files, kept across
 * starts, and protected by one PBKDF2 iteration (its password is random; see {@link TlsMaterial}).
 */
class TlsMaterialTest {
  /** DER of the PBKDF2 object identifier, 1.2.840.113549.1.5.12 (RFC 8018). */
  private static final byte[] PBKDF2_OID = {0x06, 0x09, 0x2a, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xf7, 0x0d, 0x01, 0x05, 0x0c};

  @Test
  void shouldGenerateAKeyStoreAndATrustStoreForItsCertificate(@TempDir Path data) throws Exception {
    Path tls = TlsMaterial.ensure(data);
    for (String prefix : List.of("", TransportSecurity.CORE_PREFIX)) {
      char[] password = Files.readString(tls.resolve(prefix + TransportSecurity.PASSWORD_FILE), StandardCharsets.UTF_8)
          .strip().toCharArray();
      KeyStore keys = load(tls.resolve(prefix + TransportSecurity.KEY_STORE), password);
      KeyStore trust = load(tls.resolve(prefix + TransportSecurity.TRUST_STORE), password);
      String alias = keys.aliases().nextElement();
      PrivateKey key = (PrivateKey) keys.getKey(alias, password);
      assertEquals("EC", key.getAlgorithm());
      assertTrue(trust.isCertificateEntry(alias), "the trust store holds the certificate only");
      assertFalse(trust.isKeyEntry(alias), "and not the private key");
      assertArrayEquals(keys.getCertificate(alias).getEncoded(), trust.getCertificate(alias).getEncoded());
      for (String file : List.of(TransportSecurity.KEY_STORE, TransportSecurity.TRUST_STORE, TransportSecurity.PASSWORD_FILE)) {
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(tls.resolve(prefix + file))), file);
      }
    }
    assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(tls)));
  }

  @Test
  void shouldKeepTheMaterialOfAnEarlierStart(@TempDir Path data) throws Exception {
    Path tls = TlsMaterial.ensure(data);
    byte[] keyStore = Files.readAllBytes(tls.resolve(TransportSecurity.KEY_STORE));
    String password = Files.readString(tls.resolve(TransportSecurity.PASSWORD_FILE));
    TlsMaterial.ensure(data);
    assertArrayEquals(keyStore, Files.readAllBytes(tls.resolve(TransportSecurity.KEY_STORE)));
    assertEquals(password, Files.readString(tls.resolve(TransportSecurity.PASSWORD_FILE)));
  }

  @Test
  void shouldProtectTheStoresWithOneKeyDerivationIteration(@TempDir Path data) throws Exception {
    Path tls = TlsMaterial.ensure(data);
    for (String prefix : List.of("", TransportSecurity.CORE_PREFIX)) {
      byte[] keyStore = Files.readAllBytes(tls.resolve(prefix + TransportSecurity.KEY_STORE));
      byte[] trustStore = Files.readAllBytes(tls.resolve(prefix + TransportSecurity.TRUST_STORE));
      // The key store encrypts its key and its certificate, the trust store its certificate.
      assertEquals(List.of(1L, 1L), pbkdf2Iterations(keyStore), prefix + "key store");
      assertEquals(List.of(1L), pbkdf2Iterations(trustStore), prefix + "trust store");
      assertEquals(1L, macIterations(keyStore), prefix + "key store MAC");
      assertEquals(1L, macIterations(trustStore), prefix + "trust store MAC");
    }
  }

  private static KeyStore load(Path file, char[] password) throws Exception {
    KeyStore store = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(file)) {
      store.load(in, password);
    }
    assertNotNull(store.aliases().nextElement());
    return store;
  }

  /**
   * The iteration count of every PBKDF2 parameter set in a PKCS12 file. Their algorithm identifiers
   * are not encrypted: PBKDF2's OID, then {@code SEQUENCE { salt OCTET STRING, iterationCount INTEGER, ... }}.
   */
  private static List<Long> pbkdf2Iterations(byte[] der) {
    List<Long> counts = new ArrayList<>();
    for (int i = 0; i + PBKDF2_OID.length < der.length; i++) {
      if (java.util.Arrays.equals(der, i, i + PBKDF2_OID.length, PBKDF2_OID, 0, PBKDF2_OID.length)) {
        Der params = Der.at(der, i + PBKDF2_OID.length);
        Der salt = Der.at(der, params.contentStart());
        counts.add(Der.at(der, salt.end()).integer(der));
      }
    }
    return counts;
  }

  /** {@code PFX ::= SEQUENCE { version, authSafe, macData SEQUENCE { mac, macSalt, iterations INTEGER DEFAULT 1 } }}. */
  private static long macIterations(byte[] der) {
    Der pfx = Der.at(der, 0);
    Der version = Der.at(der, pfx.contentStart());
    Der authSafe = Der.at(der, version.end());
    Der macData = Der.at(der, authSafe.end());
    Der mac = Der.at(der, macData.contentStart());
    Der salt = Der.at(der, mac.end());
    return salt.end() < macData.end() ? Der.at(der, salt.end()).integer(der) : 1;
  }

  /** One DER element: where its content starts and its length (definite lengths only, as DER has). */
  private record Der(int contentStart, int length) {
    static Der at(byte[] der, int offset) {
      int first = der[offset + 1] & 0xff;
      if (first < 0x80) {
        return new Der(offset + 2, first);
      }
      int bytes = first & 0x7f;
      int length = 0;
      for (int i = 0; i < bytes; i++) {
        length = length << 8 | der[offset + 2 + i] & 0xff;
      }
      return new Der(offset + 2 + bytes, length);
    }

    int end() {
      return contentStart + length;
    }

    long integer(byte[] der) {
      long value = 0;
      for (int i = contentStart; i < end(); i++) {
        value = value << 8 | der[i] & 0xff;
      }
      return value;
    }
  }
}
