package dev.agora.core.master;

import dev.agora.core.model.AgentId;
import dev.agora.core.model.AgentInfo;
import dev.agora.core.model.FrameworkId;
import dev.agora.core.model.FrameworkInfo;
import dev.agora.core.model.Offer;
import dev.agora.core.model.OfferId;
import dev.agora.core.model.TaskId;
import dev.agora.core.model.TaskInfo;
import dev.agora.core.model.TaskState;
import dev.agora.core.model.TaskStatus;
import dev.agora.core.runtime.Cancellable;
import dev.agora.core.transport.Address;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/** A live task as the master knows it. */
final class TaskEntry {
  final FrameworkId frameworkId;
  final TaskInfo info;
  final AgentId agentId;
  /** The latest status; STAGING until the agent reports. */
  TaskStatus status;

  TaskEntry(FrameworkId frameworkId, TaskInfo info, TaskStatus status) {
    this.frameworkId = frameworkId;
    this.info = info;
    this.agentId = info.agentId();
    this.status = status;
  }

  TaskState state() {
    return status.state();
  }

  TaskKey key() {
    return new TaskKey(frameworkId, info.taskId());
  }
}
