package org.browseros.ipc.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.serialization.SerializationExtension;
import org.browseros.ipc.protocol.session.Hello;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The session warm-up goes through the real serializers and leaves nothing behind that a real message would notice. */
@ExtendWith(TestKitJUnit5Extension.class)
@ExtendWith(LogCapturingExtension.class)
class SessionWarmUpTest {
  @JUnit5TestKit
  ActorTestKit testKit = ActorTestKit.create();

  @Test
  void shouldRoundTripTheSamplesThroughTheSystemsSerializers() throws Exception {
    assertTrue(SessionWarmUp.run(testKit.system()), "the samples went through");

    // The same serializer a real Hello gets, and it still reads back what was written.
    var serialization = SerializationExtension.get(org.apache.pekko.actor.typed.javadsl.Adapter.toClassic(testKit.system()));
    Hello hello = new Hello("renderer-1", "secret", testKit.system().ignoreRef().unsafeUpcast(), Hello.PROTOCOL_VERSION);
    var serializer = serialization.findSerializerFor(hello);
    assertEquals(UncompressedCborSerializer.class, serializer.getClass());
    Object back = serialization.deserialize(serialization.serialize(hello).get(), serializer.identifier(),
        org.apache.pekko.serialization.Serializers.manifestFor(serializer, hello)).get();
    assertEquals(hello.rendererId(), ((Hello) back).rendererId());
    assertEquals(hello.secret(), ((Hello) back).secret());
  }
}
