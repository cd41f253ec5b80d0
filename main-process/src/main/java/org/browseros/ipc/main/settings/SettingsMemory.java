package org.browseros.ipc.main.settings;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.eventstream.EventStream;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.pattern.StatusReply;
import org.browseros.ipc.protocol.settings.SettingsView;

/**
 * The last known settings of every profile, in memory, to answer {@code settings:get} while the
 * journal is unavailable (a {@link Settings} actor that failed with its journal is recovering and
 * cannot answer). Each {@link Settings} actor publishes what it holds on the system event stream
 * after its recovery and after each accepted update. A profile never loaded reads as the schema
 * defaults, as missing or invalid stored values do.
 */
public final class SettingsMemory extends AbstractBehavior<SettingsMemory.Command> {

  public interface Command {}

  /** What a profile's settings hold: stored values (unset keys absent) and the version. */
  public record Known(String profileId, Map<String, JsonNode> values, long version) implements Command {
    public Known {
      // Not Map.copyOf: a stored value may be null in an old journal.
      values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
    }
  }

  /** One setting ({@code key} given) or all of them ({@code key} null), as {@link Settings.Get} answers. */
  public record Get(String profileId, String key, ActorRef<StatusReply<SettingsView>> replyTo) implements Command {}

  private final Map<String, Known> known = new HashMap<>();

  public static Behavior<Command> create() {
    return Behaviors.setup(SettingsMemory::new);
  }

  private SettingsMemory(ActorContext<Command> context) {
    super(context);
    context.getSystem().eventStream().tell(new EventStream.Subscribe<>(Known.class, context.getSelf().narrow()));
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Known.class, this::onKnown)
        .onMessage(Get.class, this::onGet)
        .build();
  }

  private Behavior<Command> onKnown(Known update) {
    Known current = known.get(update.profileId());
    // A stale publication (a restarted actor's older view arriving late) must not win.
    if (current == null || update.version() >= current.version()) {
      known.put(update.profileId(), update);
    }
    return this;
  }

  private Behavior<Command> onGet(Get get) {
    Known current = known.get(get.profileId());
    if (current == null) {
      getContext().getLog().debug("No known settings for profile [{}]: answering the schema defaults", get.profileId());
    }
    get.replyTo().tell(current == null
        ? Settings.view(Map.of(), 0, get.key())
        : Settings.view(current.values(), current.version(), get.key()));
    return this;
  }
}
