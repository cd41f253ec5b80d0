package org.browseros.ipc.protocol.renderers;

import java.util.List;

/** Reply to {@code renderers:list}. */
public record RendererList(List<RendererInfo> renderers) {}
