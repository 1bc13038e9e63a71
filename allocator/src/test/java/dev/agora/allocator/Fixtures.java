package dev.agora.allocator;

import dev.agora.core.model.AgentId;
import dev.agora.core.model.AgentInfo;
import dev.agora.core.model.FrameworkId;
import dev.agora.core.model.FrameworkInfo;
import dev.agora.core.model.Resources;

/** Small builders shared by the allocator tests. */
final class Fixtures {
  private Fixtures() {}

  static AgentId agent(String id) {
    return AgentId.of(id);
  }

  static FrameworkId framework(String id) {
    return FrameworkId.of(id);
  }

  static FrameworkInfo info(String name, String... roles) {
    FrameworkInfo.Builder b = FrameworkInfo.builder(name).user("test");
    for (String r : roles) {
      b.role(r);
    }
    return b.build();
  }

  static AgentInfo agentInfo(String host, String resources) {
    return new AgentInfo(host, Resources.parse(resources));
  }
}
