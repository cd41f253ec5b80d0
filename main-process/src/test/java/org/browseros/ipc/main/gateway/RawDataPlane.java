package org.browseros.ipc.main.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.browseros.ipc.protocol.Envelope;
import org.browseros.ipc.protocol.PayloadCodec;
import org.browseros.ipc.protocol.dataplane.DataPlaneOffer;
import org.browseros.ipc.protocol.dataplane.DataPlaneWire;
import org.browseros.ipc.protocol.dataplane.FrameSocket;
import org.browseros.ipc.protocol.session.ToMain;
import org.browseros.ipc.protocol.session.ToRenderer;
import org.browseros.ipc.protocol.session.Welcome;

/** A renderer's side of the data plane as raw socket calls, for tests of main's connection. */
final class RawDataPlane {
  private RawDataPlane() {}

  /** Switches a new connection (its Welcome still due on {@code artery}) to a raw socket, as a renderer would. */
  static SocketChannel switched(ActorRef<ToMain> connection, TestProbe<ToRenderer> artery) throws IOException {
    artery.expectMessageClass(Welcome.class);
    Envelope open = Envelope.command(DataPlaneWire.OPEN, new byte[0]);
    connection.tell(open);
    Envelope offerReply = artery.expectMessageClass(Envelope.class);
    assertEquals(open.id(), offerReply.inReplyTo());
    DataPlaneOffer offer = PayloadCodec.decode(offerReply.payload(), DataPlaneOffer.class);
    SocketChannel socket = FrameSocket.connect(Path.of(offer.path()));
    write(socket, DataPlaneWire.tokenFrame(offer.token()));
    assertEquals(DataPlaneWire.SWITCH, artery.expectMessageClass(Envelope.class).channel());
    connection.tell(DataPlaneWire.switchMarker());
    return socket;
  }

  /** Writes a whole frame; one writer at a time (tests write from more than one thread). */
  static synchronized void write(SocketChannel socket, ByteBuffer bytes) throws IOException {
    while (bytes.hasRemaining()) {
      socket.write(bytes);
    }
  }

  /** The next frame's body; null at EOF. */
  static ByteBuffer readFrame(SocketChannel socket) throws IOException {
    socket.configureBlocking(true);
    ByteBuffer header = ByteBuffer.allocate(4);
    while (header.hasRemaining()) {
      if (socket.read(header) < 0) {
        return null;
      }
    }
    ByteBuffer body = ByteBuffer.allocate(header.flip().getInt());
    while (body.hasRemaining()) {
      if (socket.read(body) < 0) {
        return null;
      }
    }
    return body.flip();
  }
}
