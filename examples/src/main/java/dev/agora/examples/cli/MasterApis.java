package dev.agora.examples.cli;

import dev.agora.core.master.Master;
import dev.agora.core.transport.http.HttpTransport;
import dev.agora.core.transport.http.OperatorApi;

/** Wires the master's HTTP APIs onto a transport: scheduler API, operator API and endpoints. */
final class MasterApis {
  private MasterApis() {}

  static void serve(HttpTransport transport, Master master, java.util.Map<String, String> flags) {
    transport.serveSchedulerApi(master.address());
    OperatorApi.serve(transport, master, flags);
  }
}
