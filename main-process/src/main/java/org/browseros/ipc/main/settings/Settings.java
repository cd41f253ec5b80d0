package org.browseros.ipc.main.settings;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.eventstream.EventStream;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.RecoveryFailed;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.Effect;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;
import org.browseros.ipc.main.persistence.Answerable;
import org.browseros.ipc.main.persistence.CommandFailures;
import org.browseros.ipc.main.persistence.JournalFailures;
import org.browseros.ipc.main.persistence.JournalHealth;
import org.browseros.ipc.main.persistence.JournalSerializable;
import org.browseros.ipc.main.state.StateHub;
import org.browseros.ipc.main.system.SystemMonitor;
import org.browseros.ipc.protocol.IpcException;
import org.browseros.ipc.protocol.settings.Setting;
import org.browseros.ipc.protocol.settings.SettingsView;
import org.browseros.ipc.protocol.system.SystemEvent;

/**
 * A profile's settings, checked against {@link SettingsSchema}. The version counts accepted
 * updates. Each value is published to the {@link StateHub} as {@code settings/<key>}.
 */
public final class Settings
    extends EventSourcedBehavior<Settings.Command, Settings.Event, Settings.State> {

  public interface Command {}

  public record Update(String key, JsonNode value, ActorRef<StatusReply<Setting>> replyTo) implements Command, Answerable<Setting> {}

  /** One setting ({@code key} given) or all of them ({@code key} null). */
  public record Get(String key, ActorRef<StatusReply<SettingsView>> replyTo) implements Command, Answerable<SettingsView> {}

  public interface Event extends JournalSerializable {}

  public record SettingChanged(String key, JsonNode value) implements Event {}

  /** Stored values as accepted (unset keys absent) and the number of accepted updates. */
  public record State(Map<String, JsonNode> values, long version) implements JournalSerializable {
    JsonNode effective(String key) {
      return SettingsSchema.effective(key, values.get(key));
    }
  }

  private final ActorContext<Command> context;
  private final ActorRef<StateHub.Command> stateHub;
  private final ActorRef<SystemMonitor.Command> systemMonitor;
  private final String profileId;

  public static Behavior<Command> create(
      String profileId, ActorRef<StateHub.Command> stateHub, ActorRef<SystemMonitor.Command> systemMonitor) {
    return Behaviors.supervise(Behaviors.<Command>setup(context -> new Settings(context, profileId, stateHub, systemMonitor)))
        .onFailure(SupervisorStrategy.restart());
  }

  private Settings(
      ActorContext<Command> context,
      String profileId,
      ActorRef<StateHub.Command> stateHub,
      ActorRef<SystemMonitor.Command> systemMonitor) {
    super(PersistenceId.ofUniqueId("Settings|" + profileId),
        JournalFailures.RESTART_WITH_BACKOFF);
    this.context = context;
    this.profileId = profileId;
    this.stateHub = stateHub;
    this.systemMonitor = systemMonitor;
  }

  @Override
  public State emptyState() {
    return new State(Map.of(), 0);
  }

  @Override
  public CommandHandler<Command, Event, State> commandHandler() {
    return CommandFailures.answerInternalOnFailure(newCommandHandlerBuilder()
        .forAnyState()
        .onCommand(Update.class, this::onUpdate)
        .onCommand(Get.class, this::onGet)
        .build(), context.getLog(), "Settings of " + profileId);
  }

  private Effect<Event, State> onUpdate(State state, Update update) {
    JsonNode value;
    try {
      value = SettingsSchema.validate(update.key(), update.value());
    } catch (IpcException e) {
      return Effect().reply(update.replyTo(), StatusReply.error(e));
    }
    return Effect()
        .persist(new SettingChanged(update.key(), value))
        .thenRun((State s) -> {
          remember(s);
          publish(update.key(), s.effective(update.key()));
          systemMonitor.tell(new SystemMonitor.Publish(new SystemEvent(
              SystemEvent.SETTINGS_CHANGED, null, "Setting '" + update.key() + "' changed",
              Map.of("key", update.key(), "profileId", profileId), System.currentTimeMillis())));
        })
        .thenReply(update.replyTo(), s ->
            StatusReply.success(new Setting(update.key(), s.effective(update.key()), s.version())));
  }

  private Effect<Event, State> onGet(State state, Get get) {
    return Effect().reply(get.replyTo(), view(state.values(), state.version(), get.key()));
  }

  /**
   * The answer to a get: one setting ({@code key} given, NOT_FOUND if unknown) or all of them, each
   * the stored value or, when missing or no longer valid, the schema default.
   */
  static StatusReply<SettingsView> view(Map<String, JsonNode> values, long version, String key) {
    if (key == null) {
      Map<String, JsonNode> all = new LinkedHashMap<>();
      for (String known : SettingsSchema.keys()) {
        all.put(known, SettingsSchema.effective(known, values.get(known)));
      }
      return StatusReply.success(new SettingsView(all, version));
    }
    try {
      SettingsSchema.defaultValue(key);
    } catch (IpcException e) {
      return StatusReply.error(e);
    }
    return StatusReply.success(new SettingsView(Map.of(key, SettingsSchema.effective(key, values.get(key))), version));
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onEvent(SettingChanged.class, (state, changed) -> {
          Map<String, JsonNode> values = new LinkedHashMap<>(state.values());
          values.put(changed.key(), changed.value());
          return new State(values, state.version() + 1);
        })
        .build();
  }

  @Override
  public SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.instance(), this::onRecoveryCompleted)
        .onSignal(RecoveryFailed.class, (state, failed) ->
            JournalHealth.reportFailure(context, persistenceId().id(), failed.getFailure()))
        .build();
  }

  private void onRecoveryCompleted(State state) {
    remember(state);
    state.values().forEach((key, value) -> {
      if (!SettingsSchema.isValid(key, value)) {
        context.getLog().warn("Stored setting [{}] of profile [{}] no longer passes the schema, using the default",
            key, profileId);
      }
    });
    for (String key : SettingsSchema.keys()) {
      publish(key, state.effective(key));
    }
  }

  /** Keeps the {@link SettingsMemory} current, for reads while the journal is unavailable. */
  private void remember(State state) {
    context.getSystem().eventStream().tell(new EventStream.Publish<>(
        new SettingsMemory.Known(profileId, state.values(), state.version())));
  }

  private void publish(String key, JsonNode value) {
    stateHub.tell(new StateHub.Put("settings/" + key, value));
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(100, 2);
  }
}
