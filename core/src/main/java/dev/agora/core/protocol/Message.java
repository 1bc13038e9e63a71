package dev.agora.core.protocol;

/**
 * Everything actors send each other: scheduler calls and events, and the messages between master
 * and agents. One model for every transport: the in-process transport passes these records as
 * they are, and a network transport encodes them.
 */
public sealed interface Message permits SchedulerCall, SchedulerEvent, AgentMessage, ExecutorCall, ExecutorEvent {}
