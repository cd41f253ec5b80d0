package org.browseros.ipc.protocol.parts;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.List;
import java.util.Random;
import org.browseros.ipc.protocol.Envelope;
import org.browseros.ipc.protocol.ErrorCode;
import org.browseros.ipc.protocol.MessageType;
import org.junit.jupiter.api.Test;

class ReassemblyTest {
  private static final int PART = 1000;

  private static byte[] bytes(int n) {
    byte[] b = new byte[n];
    new Random(n).nextBytes(b);
    return b;
  }

  private static Reassembly.Outcome feed(Reassembly r, List<EnvelopePart> parts) {
    Reassembly.Outcome last = null;
    for (int i = 0; i < parts.size(); i++) {
      last = r.accept(parts.get(i));
      if (i < parts.size() - 1) {
        assertSame(Reassembly.Pending.INSTANCE, last, "part " + i);
      }
    }
    return last;
  }

  @Test
  void shouldSplitIntoBoundedSlicesAndPutThemBackTogether() {
    Envelope request = Envelope.command("app:upload", bytes(2500));
    List<EnvelopePart> parts = EnvelopePart.split(request, PART);
    assertEquals(3, parts.size());
    assertEquals(List.of(0, 1000, 2000), parts.stream().map(EnvelopePart::offset).toList());
    assertEquals(500, parts.get(2).bytes().length);

    Reassembly r = new Reassembly(4096, PART, 2);
    Reassembly.Complete done = assertInstanceOf(Reassembly.Complete.class, feed(r, parts));
    assertEquals(request, done.envelope());
    assertEquals(0, r.inProgress());
  }

  @Test
  void shouldKeepTwoInterleavedEnvelopesApart() {
    Envelope a = Envelope.command("app:a", bytes(1500));
    Envelope b = Envelope.command("app:b", bytes(1800)).reply(bytes(1700));
    List<EnvelopePart> pa = EnvelopePart.split(a, PART);
    List<EnvelopePart> pb = EnvelopePart.split(b, PART);
    Reassembly r = new Reassembly(4096, PART, 2);
    assertSame(Reassembly.Pending.INSTANCE, r.accept(pa.get(0)));
    assertSame(Reassembly.Pending.INSTANCE, r.accept(pb.get(0)));
    assertEquals(b, assertInstanceOf(Reassembly.Complete.class, r.accept(pb.get(1))).envelope());
    assertEquals(a, assertInstanceOf(Reassembly.Complete.class, r.accept(pa.get(1))).envelope());
  }

  @Test
  void shouldRefuseATooLargePayloadOnItsFirstPartAndDropTheRestQuietly() {
    Envelope huge = Envelope.command("app:upload", bytes(5000));
    List<EnvelopePart> parts = EnvelopePart.split(huge, PART);
    Reassembly r = new Reassembly(4096, PART, 2);
    Reassembly.Refused refused = assertInstanceOf(Reassembly.Refused.class, r.accept(parts.get(0)));
    assertEquals(ErrorCode.TOO_LARGE, refused.error().code());
    assertEquals(huge.id(), refused.about().id());
    assertEquals("app:upload", refused.about().channel());
    for (EnvelopePart later : parts.subList(1, parts.size())) {
      assertSame(Reassembly.Pending.INSTANCE, r.accept(later));
    }
    assertEquals(0, r.inProgress());
    // The next envelope is assembled as usual.
    Envelope next = Envelope.command("app:upload", bytes(1200));
    assertEquals(next, assertInstanceOf(Reassembly.Complete.class, feed(r, EnvelopePart.split(next, PART))).envelope());
  }

  @Test
  void shouldRefuseMalformedPartsWithTypedErrors() {
    Envelope e = Envelope.command("app:upload", bytes(2500));
    List<EnvelopePart> parts = EnvelopePart.split(e, PART);
    Reassembly r = new Reassembly(4096, PART, 2);

    // A part of no envelope in progress.
    assertEquals(ErrorCode.VALIDATION, assertInstanceOf(Reassembly.Refused.class, r.accept(parts.get(1))).error().code());
    // A gap: the envelope is abandoned.
    r.accept(parts.get(0));
    assertEquals(ErrorCode.VALIDATION, assertInstanceOf(Reassembly.Refused.class, r.accept(parts.get(2))).error().code());
    assertEquals(0, r.inProgress());
    // A part above the part bound.
    EnvelopePart fat = new EnvelopePart("app:upload", MessageType.COMMAND, 1, "x-1", null, 3000, 0, bytes(PART + 1));
    assertEquals(ErrorCode.VALIDATION, assertInstanceOf(Reassembly.Refused.class, r.accept(fat)).error().code());
    // A part that changes the header midway.
    r.accept(parts.get(0));
    EnvelopePart p1 = parts.get(1);
    EnvelopePart forged = new EnvelopePart("app:other", p1.type(), p1.timestamp(), p1.id(), p1.inReplyTo(),
        p1.payloadLength(), p1.offset(), p1.bytes());
    assertEquals(ErrorCode.VALIDATION, assertInstanceOf(Reassembly.Refused.class, r.accept(forged)).error().code());
    // A part past the payload's end.
    EnvelopePart beyond = new EnvelopePart("app:upload", MessageType.COMMAND, 1, "x-2", null, 10, 0, bytes(11));
    assertEquals(ErrorCode.VALIDATION, assertInstanceOf(Reassembly.Refused.class, r.accept(beyond)).error().code());
    assertEquals(0, r.inProgress());
  }

  @Test
  void shouldBoundHowManyEnvelopesAreAssembledAtOnce() {
    Reassembly r = new Reassembly(4096, PART, 2);
    for (int i = 0; i < 2; i++) {
      assertSame(Reassembly.Pending.INSTANCE, r.accept(EnvelopePart.split(Envelope.command("app:a", bytes(1500)), PART).get(0)));
    }
    Envelope third = Envelope.command("app:c", bytes(1500));
    Reassembly.Refused refused = assertInstanceOf(Reassembly.Refused.class, r.accept(EnvelopePart.split(third, PART).get(0)));
    assertEquals(ErrorCode.VALIDATION, refused.error().code());
    assertEquals(third.id(), refused.about().id());
    assertEquals(2, r.inProgress());
  }

  @Test
  void shouldCarryAnEmptyPayloadInOnePart() {
    Envelope empty = Envelope.of("app:ping", MessageType.EVENT, new byte[0]);
    List<EnvelopePart> parts = EnvelopePart.split(empty, PART);
    assertEquals(1, parts.size());
    Envelope back = assertInstanceOf(Reassembly.Complete.class, new Reassembly(4096, PART, 1).accept(parts.get(0))).envelope();
    assertArrayEquals(new byte[0], back.payload());
    assertEquals(empty, back);
  }
}
