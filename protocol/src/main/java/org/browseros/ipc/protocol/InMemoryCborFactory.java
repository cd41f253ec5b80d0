package org.browseros.ipc.protocol;

import com.fasterxml.jackson.core.ObjectCodec;
import com.fasterxml.jackson.core.io.IOContext;
import com.fasterxml.jackson.core.sym.ByteQuadsCanonicalizer;
import com.fasterxml.jackson.dataformat.cbor.CBORFactory;
import com.fasterxml.jackson.dataformat.cbor.CBORFactoryBuilder;
import com.fasterxml.jackson.dataformat.cbor.CBORParser;
import java.io.IOException;
import java.util.Arrays;

/**
 * Jackson's CBOR factory, whose parsers over a byte array copy a large byte string out in one go.
 *
 * <p>Jackson reads a byte string of more than 250,000 bytes in chunks into a growing builder and
 * then copies it out, because on a stream its declared length may be a lie that would otherwise
 * allocate it all up front. Payloads are always parsed from a byte array that is already in memory,
 * where the length is checked against the bytes actually there, so the string is copied once: a
 * 1 MiB byte string cost about 2.5 MiB of garbage and two copies before (docs/PERFORMANCE.md,
 * "Large payloads"). Everything else, including a length beyond the input, is Jackson's own code.
 */
final class InMemoryCborFactory extends CBORFactory {
  private static final long serialVersionUID = 1L;

  InMemoryCborFactory(CBORFactoryBuilder builder) {
    super(builder);
  }

  @Override
  protected CBORParser _createParser(byte[] data, int offset, int len, IOContext ctxt) throws IOException {
    // As CBORParserBootstrapper does for a byte array, with the parser below.
    _streamReadConstraints.validateDocumentLength(len);
    return new Parser(ctxt, _parserFeatures, _formatParserFeatures, _objectCodec,
        _byteSymbolCanonicalizer.makeChildOrPlaceholder(_factoryFeatures), data, offset, offset + len);
  }

  private static final class Parser extends CBORParser {
    /** Over {@code data[start, end)}: no stream behind it, and a buffer that is the caller's, never recycled. */
    Parser(IOContext ctxt, int parserFeatures, int cborFeatures, ObjectCodec codec, ByteQuadsCanonicalizer sym,
        byte[] data, int start, int end) {
      super(ctxt, parserFeatures, cborFeatures, codec, sym, null, data, start, end, false);
    }

    @Override
    protected byte[] _finishBytes(int len) throws IOException {
      // A definite length the input holds, with no string references to record (RFC 8949 tag 256).
      if (len > 0 && _inputStream == null && len <= _inputEnd - _inputPtr && _stringRefs.empty()) {
        byte[] bytes = Arrays.copyOfRange(_inputBuffer, _inputPtr, _inputPtr + len);
        _inputPtr += len;
        return bytes;
      }
      return super._finishBytes(len);
    }
  }
}
