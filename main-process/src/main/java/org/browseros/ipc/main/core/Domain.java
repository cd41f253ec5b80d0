package org.browseros.ipc.main.core;

import com.typesafe.config.Config;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.cluster.sharding.typed.ClusterShardingSettings;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.pattern.StatusReply;
import org.browseros.ipc.main.ipc.Caller;
import org.browseros.ipc.main.ipc.CoreApi;
import org.browseros.ipc.main.persistence.JournalHealth;
import org.browseros.ipc.main.persistence.JournalProbe;
import org.browseros.ipc.main.profile.Profile;
import org.browseros.ipc.main.security.Capability;
import org.browseros.ipc.main.security.SecurityPolicy;
import org.browseros.ipc.main.settings.SettingsMemory;
import org.browseros.ipc.main.state.StateHub;
import org.browseros.ipc.main.system.SystemMonitor;
import org.browseros.ipc.protocol.Channel;
import org.browseros.ipc.protocol.Channels;
import org.browseros.ipc.protocol.system.SystemEvent;
import org.browseros.ipc.protocol.state.StateSync;
import org.browseros.ipc.protocol.ErrorCode;
import org.browseros.ipc.protocol.IpcException;
import org.browseros.ipc.protocol.navigation.Navigate;
import org.browseros.ipc.protocol.navigation.NavigateBack;
import org.browseros.ipc.protocol.navigation.NavigateForward;
import org.browseros.ipc.protocol.settings.Setting;
import org.browseros.ipc.protocol.settings.SettingsGet;
import org.browseros.ipc.protocol.settings.SettingsUpdate;
import org.browseros.ipc.protocol.settings.SettingsView;
import org.browseros.ipc.protocol.system.PowerState;
import org.browseros.ipc.protocol.tab.TabCreate;
import org.browseros.ipc.protocol.tab.TabDelete;
import org.browseros.ipc.protocol.tab.TabDeleted;
import org.browseros.ipc.protocol.tab.TabInfo;
import org.browseros.ipc.protocol.tab.TabUpdate;
import org.browseros.ipc.protocol.window.WindowClose;
import org.browseros.ipc.protocol.window.WindowClosed;
import org.browseros.ipc.protocol.window.WindowCreate;
import org.browseros.ipc.protocol.window.WindowInfo;
import org.browseros.ipc.protocol.window.WindowUpdate;

/**
 * The core domain: starts the {@link StateHub}, the {@link SystemMonitor} and the {@link Profile}
 * shard region, wakes the default profile, and serves the built-in invoke channels for callers
 * (all but {@code renderers:list}, which the renderer supervisor answers). Requests go to the
 * caller's own profile entity; {@code power:state} goes to the system monitor.
 *
 * <p>While the {@link JournalHealth journal is unavailable} every write channel fails at once with
 * {@code UNAVAILABLE} and {@code settings:get} is answered by the {@link SettingsMemory}; state
 * snapshots and deltas ({@link StateHub}) and {@code power:state} never need the journal. Writes
 * are accepted again as soon as the journal answers a probe.
 */
public final class Domain implements CoreApi {
  public static final Duration DEFAULT_ASK_TIMEOUT = Duration.ofSeconds(5);

  private final ActorSystem<?> system;
  private final ClusterSharding sharding;
  private final ActorRef<StateHub.Command> stateHub;
  private final ActorRef<SystemMonitor.Command> systemMonitor;
  private final Duration askTimeout;
  private final SecurityPolicy policy;
  private final JournalHealth.Status journal;
  private final ActorRef<JournalHealth.Command> journalHealth;
  private final ActorRef<SettingsMemory.Command> settingsMemory;

  private Domain(
      ActorSystem<?> system, ClusterSharding sharding, ActorRef<StateHub.Command> stateHub,
      ActorRef<SystemMonitor.Command> systemMonitor, Duration askTimeout, SecurityPolicy policy,
      JournalHealth.Status journal, ActorRef<JournalHealth.Command> journalHealth,
      ActorRef<SettingsMemory.Command> settingsMemory) {
    this.system = system;
    this.journal = journal;
    this.journalHealth = journalHealth;
    this.settingsMemory = settingsMemory;
    this.sharding = sharding;
    this.stateHub = stateHub;
    this.systemMonitor = systemMonitor;
    this.askTimeout = askTimeout;
    this.policy = policy;
  }

  /**
   * Starts the domain under {@code context} (the core guardian, once the journal schema exists).
   *
   * @param config the settings, read under {@code browseros.domain} (defaults apply when absent)
   */
  public static Domain start(ActorContext<?> context, Config config) {
    Duration askTimeout = config.hasPath("browseros.domain.ask-timeout")
        ? config.getDuration("browseros.domain.ask-timeout") : DEFAULT_ASK_TIMEOUT;
    Duration checkInterval = config.hasPath("browseros.domain.low-memory.check-interval")
        ? config.getDuration("browseros.domain.low-memory.check-interval") : Duration.ofSeconds(5);
    double threshold = config.hasPath("browseros.domain.low-memory.threshold")
        ? config.getDouble("browseros.domain.low-memory.threshold") : 0.9;
    Path powerSupplyDir = Path.of(config.hasPath("browseros.domain.power-supply-dir")
        ? config.getString("browseros.domain.power-supply-dir") : "/sys/class/power_supply");

    ActorRef<StateHub.Command> stateHub = context.spawn(StateHub.create(), "state-hub");
    ActorRef<SystemMonitor.Command> systemMonitor =
        context.spawn(SystemMonitor.create(powerSupplyDir, checkInterval, threshold), "system-monitor");
    // Before any profile starts, so that its settings' first publication is remembered.
    ActorRef<SettingsMemory.Command> settingsMemory = context.spawn(SettingsMemory.create(), "settings-memory");
    ActorSystem<?> system = context.getSystem();
    JournalHealth.Settings health = JournalHealth.Settings.fromConfig(config);
    JournalHealth.Status journal = new JournalHealth.Status();
    ActorRef<JournalHealth.Command> journalHealth = context.spawn(JournalHealth.create(
        JournalProbe.forConfiguredJournal(system, health.probeTimeout()), health, journal, systemMonitor), "journal-health");

    ClusterSharding sharding = ClusterSharding.get(system);
    // No passivation: an idle profile must keep its windows and tabs alive.
    sharding.init(Entity.of(Profile.TYPE_KEY, entity -> Profile.create(entity.getEntityId(), stateHub, systemMonitor))
        .withSettings(ClusterShardingSettings.create(system).withNoPassivationStrategy()));
    sharding.entityRefFor(Profile.TYPE_KEY, Profile.DEFAULT_PROFILE).tell(Profile.Wake.INSTANCE);
    context.getLog().info("Core domain started (ask timeout {})", askTimeout);
    SecurityPolicy policy = config.hasPath("browseros.security")
        ? SecurityPolicy.fromConfig(config) : SecurityPolicy.defaults();
    return new Domain(system, sharding, stateHub, systemMonitor, askTimeout, policy, journal, journalHealth,
        settingsMemory);
  }

  public ActorRef<StateHub.Command> stateHub() {
    return stateHub;
  }

  public ActorRef<SystemMonitor.Command> systemMonitor() {
    return systemMonitor;
  }

  /** Whether writes are accepted: false while the journal is unavailable (see {@link JournalHealth}). */
  public boolean journalAvailable() {
    return journal.isAvailable();
  }

  public ActorRef<JournalHealth.Command> journalHealth() {
    return journalHealth;
  }

  /** Starts a profile other than the default one (for example when a renderer bound to it connects). */
  public void wake(String profileId) {
    sharding.entityRefFor(Profile.TYPE_KEY, profileId).tell(Profile.Wake.INSTANCE);
  }

  @Override
  public void subscribeState(ActorRef<StateSync> subscriber) {
    stateHub.tell(new StateHub.Subscribe(subscriber));
  }

  @Override
  public void unsubscribeState(ActorRef<StateSync> subscriber) {
    stateHub.tell(new StateHub.Unsubscribe(subscriber));
  }

  @Override
  public void requestSnapshot(ActorRef<StateSync> replyTo) {
    stateHub.tell(new StateHub.GetSnapshot(replyTo));
  }

  @Override
  public void subscribeSystemEvents(ActorRef<SystemEvent> subscriber) {
    systemMonitor.tell(new SystemMonitor.Subscribe(subscriber));
  }

  @Override
  public void unsubscribeSystemEvents(ActorRef<SystemEvent> subscriber) {
    systemMonitor.tell(new SystemMonitor.Unsubscribe(subscriber));
  }

  @Override
  public void publishSystemEvent(SystemEvent event) {
    systemMonitor.tell(new SystemMonitor.Publish(event));
  }

  @Override
  public boolean serves(Channel<?, ?> channel) {
    return channel != null
        && channel.isInvoke()
        && !channel.equals(Channels.RENDERERS_LIST)
        && Channels.builtIn(channel.name()).isPresent();
  }

  @Override
  public CompletionStage<Object> invoke(Channel<?, ?> channel, Object payload, Caller caller) {
    try {
      return typed(route(channel, payload, caller));
    } catch (IpcException e) {
      return CompletableFuture.failedFuture(e);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(new IpcException(ErrorCode.INTERNAL, String.valueOf(e.getMessage())));
    }
  }

  private CompletionStage<?> route(Channel<?, ?> channel, Object payload, Caller caller) {
    if (!serves(channel)) {
      throw new IpcException(ErrorCode.NOT_FOUND, "Channel '" + (channel == null ? null : channel.name())
          + "' is not served by the core domain");
    }
    if (caller == null || caller.profileId() == null || caller.profileId().isBlank()) {
      throw new IpcException(ErrorCode.PERMISSION, "Caller has no profile");
    }
    if (!channel.payloadType().isInstance(payload)) {
      throw new IpcException(ErrorCode.VALIDATION, "Payload of " + channel.name() + " must be "
          + channel.payloadType().getSimpleName());
    }
    // Scope checks need domain facts (who owns a tab), so the profile gets the caller's access.
    Capability capability = policy.capability(caller.capability()).orElseThrow(() -> new IpcException(
        ErrorCode.PERMISSION, "Capability '" + caller.capability() + "' is not defined: nothing is allowed"));
    if (!capability.permits(channel.name())) {
      throw new IpcException(ErrorCode.PERMISSION, "Capability '" + caller.capability()
          + "' does not allow channel '" + channel.name() + "'");
    }
    if (channel.equals(Channels.POWER_STATE)) {
      return AskPattern.<SystemMonitor.Command, PowerState>ask(
          systemMonitor, SystemMonitor.GetPowerState::new, askTimeout, system.scheduler());
    }
    if (!journal.isAvailable()) {
      // Reads answer from memory; writes are refused before anything is tried, so none is half-applied.
      if (channel.equals(Channels.SETTINGS_GET)) {
        String key = ((SettingsGet) payload).key();
        return AskPattern.<SettingsMemory.Command, SettingsView>askWithStatus(settingsMemory,
            r -> new SettingsMemory.Get(caller.profileId(), key, r), askTimeout, system.scheduler());
      }
      throw new IpcException(ErrorCode.UNAVAILABLE,
          "The journal is unavailable: writes are refused until it recovers (" + channel.name() + " not applied)");
    }
    Profile.Access access = new Profile.Access(caller.rendererId(), capability.ownTabsOnly(), capability.urlSchemes());
    EntityRef<Profile.Command> profile = sharding.entityRefFor(Profile.TYPE_KEY, caller.profileId());
    if (channel.equals(Channels.WINDOW_CREATE)) {
      return this.<WindowInfo>ask(profile, r -> new Profile.CreateWindow(access, (WindowCreate) payload, r));
    } else if (channel.equals(Channels.WINDOW_CLOSE)) {
      return this.<WindowClosed>ask(profile, r -> new Profile.CloseWindow(access, ((WindowClose) payload).windowId(), r));
    } else if (channel.equals(Channels.WINDOW_UPDATE)) {
      return this.<WindowInfo>ask(profile, r -> new Profile.UpdateWindow(access, (WindowUpdate) payload, r));
    } else if (channel.equals(Channels.TAB_CREATE)) {
      return this.<TabInfo>ask(profile, r -> new Profile.CreateTab(access, (TabCreate) payload, r));
    } else if (channel.equals(Channels.TAB_UPDATE)) {
      return this.<TabInfo>ask(profile, r -> new Profile.UpdateTab(access, (TabUpdate) payload, r));
    } else if (channel.equals(Channels.TAB_DELETE)) {
      return this.<TabDeleted>ask(profile, r -> new Profile.DeleteTab(access, ((TabDelete) payload).tabId(), r));
    } else if (channel.equals(Channels.NAVIGATE)) {
      Navigate navigate = (Navigate) payload;
      return this.<TabInfo>ask(profile, r -> new Profile.Navigate(access, navigate.tabId(), navigate.url(), r));
    } else if (channel.equals(Channels.NAVIGATE_BACK)) {
      return this.<TabInfo>ask(profile, r -> new Profile.GoBack(access, ((NavigateBack) payload).tabId(), r));
    } else if (channel.equals(Channels.NAVIGATE_FORWARD)) {
      return this.<TabInfo>ask(profile, r -> new Profile.GoForward(access, ((NavigateForward) payload).tabId(), r));
    } else if (channel.equals(Channels.SETTINGS_UPDATE)) {
      SettingsUpdate update = (SettingsUpdate) payload;
      return this.<Setting>ask(profile, r -> new Profile.UpdateSetting(update.key(), update.value(), r));
    } else if (channel.equals(Channels.SETTINGS_GET)) {
      return this.<SettingsView>ask(profile, r -> new Profile.GetSettings(((SettingsGet) payload).key(), r));
    }
    throw new IpcException(ErrorCode.NOT_FOUND, "Channel '" + channel.name() + "' is not served by the core domain");
  }

  private <T> CompletionStage<T> ask(
      EntityRef<Profile.Command> profile, Function<ActorRef<StatusReply<T>>, Profile.Command> message) {
    return profile.askWithStatus(message::apply, askTimeout);
  }

  /** Keeps typed failures, turns timeouts into TIMEOUT and anything else into INTERNAL. */
  private CompletionStage<Object> typed(CompletionStage<?> reply) {
    CompletableFuture<Object> result = new CompletableFuture<>();
    reply.whenComplete((value, failure) -> {
      if (failure == null) {
        result.complete(value);
        return;
      }
      Throwable cause = failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null
          ? failure.getCause() : failure;
      if (cause instanceof IpcException e) {
        result.completeExceptionally(e);
      } else if (cause instanceof TimeoutException) {
        result.completeExceptionally(new IpcException(ErrorCode.TIMEOUT,
            "No reply from the domain within " + askTimeout.toMillis() + " ms"));
      } else {
        result.completeExceptionally(new IpcException(ErrorCode.INTERNAL, String.valueOf(cause.getMessage())));
      }
    });
    return result;
  }
}
