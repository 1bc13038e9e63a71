/**
 * The jobs service: Chronos-style scheduled and dependent jobs, as a framework on Agora's SDK.
 *
 * <p>Entry point: {@link dev.agora.examples.jobs.JobsService} (builder, {@code start()},
 * {@code close()}, {@code request(...)} for in-process calls). The REST API follows Chronos
 * ({@code /v1/scheduler}): {@code POST /iso8601}, {@code POST /dependency}, {@code GET /jobs},
 * {@code /jobs/summary}, {@code /jobs/search?name=&command=&any=}, {@code DELETE /job/{name}},
 * {@code PUT /job/{name}?arguments=} (run now), {@code PUT /job/success/{name}},
 * {@code DELETE /task/kill/{name}}, {@code GET /job/stat/{name}} (duration percentiles and the run
 * history), {@code GET /stats/{percentile}}, {@code GET /graph/dot}, {@code /graph/csv},
 * {@code /leader}; and, beyond Chronos, {@code GET /job/history/{name}}.
 *
 * <p>Choices worth knowing:
 * <ul>
 *   <li>Job JSON is Chronos's ({@link dev.agora.examples.jobs.JobJson}), plus {@code "cron"} (five
 *       Unix fields, via cron-utils) as an alternative to {@code "schedule"}.
 *   <li>A job with a {@code container} is stored and reported as given, and the POST answers 200
 *       with a warning naming the field; its runs are recorded SKIPPED ("field 'container' is not
 *       supported here"), since the service does not run containers.
 *   <li>Each (job, scheduled time) gets one run record, created with compare-and-set at version -1
 *       in the {@link dev.agora.core.coordination.StateStore} before anything is launched; the record
 *       says RUNNING with its task id before the task is launched, so a new leader reconciles it.
 *   <li>A run that cannot start within {@code epsilon} (late tick, clock jump, no matching offer) is
 *       recorded SKIPPED with the reason. Runs missed while no leader ran follow the catch-up policy
 *       (run the latest once, or skip all). Schedule cursors never move back, so a clock that jumps
 *       back re-runs nothing.
 *   <li>A dependent job runs when every parent has succeeded since the child last ran (and since it
 *       was defined); its run's cycle is the latest parent cycle. {@code PUT /job/success} marks the
 *       latest failed run successful, which releases the children.
 *   <li>Retries wait {@code retryBackoff}, doubling per attempt; {@code maxCompletionTime} kills a
 *       run (a failed attempt); {@code disableAfterFailures} disables a job after N failed runs in a
 *       row. History keeps the last {@code historyLimit} runs per job, in memory and in the store.
 *   <li>The state store is never called on the service's loop: {@code dev.agora.examples.store.StoreWriter} runs every
 *       read and write on a thread of its own ({@code JobsService.Builder#storeExecutor}), one batch
 *       at a time, in order, and hands the outcomes back to the loop. A call that creates, replaces
 *       or deletes a job answers once that is durable (changes are taken one at a time, in order;
 *       reads answer at once); a refused or failed write answers 503 naming the job and the cause, and
 *       the job stays as it was. Run-state updates are written behind, in order; a run is launched
 *       only once its RUNNING record is written; a leader whose own write fails stops leading.
 * </ul>
 *
 * <p>Limits now: store writes go one at a time (a burst of runs is recorded at one run per two store
 * round trips, see benchmarks/RESULTS.md, section b5).
 */
package dev.agora.examples.jobs;
