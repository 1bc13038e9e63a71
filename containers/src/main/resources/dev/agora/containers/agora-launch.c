/*
 * agora-launch: the Linux containerizer's launch server (dev.agora.containers.NativeLauncher).
 *
 * One long-lived process, started once by the containerizer, that starts containers on request:
 * for each it clone()s a child straight into new pid, mount, uts and ipc (and, if asked, net)
 * namespaces, so that the child is pid 1 of its own tree and the server its parent. The child
 * waits until the server has written its pid into each of the container's cgroup.procs, so that
 * it joins its cgroups before anything else; then it redirects stdin from /dev/null and
 * stdout/stderr to the sandbox's files (which the server made, given to the task's user), changes to the sandbox, starts a new session, makes every
 * mount private, mounts a fresh /proc, bind-mounts <sandbox>/tmp on /tmp, takes the task's user
 * (initgroups, setgid, setuid) and execs the command. This is what the shell chain
 * sh -> setsid -> unshare -> sh -> mount does, in one fork and one exec. A setup step that fails
 * after the launch was answered ends the task with status 125, saying why on its stderr.
 *
 * Protocol, on stdin (requests) and stdout (replies):
 *   request: a 4-byte little-endian length N, then N bytes: NUL-terminated strings
 *     id, flags ("n": network namespace), user ("" for none), sandbox, tmp, stdout, stderr,
 *     count of cgroup.procs files, the files, argc, argv..., envc, env...
 *   replies, one line each:
 *     "L <id> <pid>"     launched: <pid> (in this server's pid namespace) is in its cgroups
 *                        and sets itself up; answered before any exit of <pid> is reported
 *     "F <id> <message>" failed; nothing runs
 *     "X <pid> <status>" a launched process exited: its exit code, or 128 + the signal that
 *                        killed it
 * The server exits when stdin closes (its containerizer is gone), leaving the containers running:
 * they are re-parented and a restarted agent re-adopts them.
 *
 * Build: cc -O2 -o agora-launch agora-launch.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define MAX_REQUEST (16 * 1024 * 1024)
#define SETUP_FAILED 125

struct request {
  const char *id;
  const char *flags;
  const char *user;
  const char *sandbox;
  const char *tmp;
  const char *out;
  const char *err;
  int ncgroups;
  char **cgroups;
  char **argv;
  char **env;
  char **words; /* the strings of the payload; owns nothing but the array */
};

static void write_all(int fd, const char *buf, size_t len) {
  while (len > 0) {
    ssize_t n = write(fd, buf, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      _exit(2); /* the containerizer is gone */
    }
    buf += n;
    len -= (size_t)n;
  }
}

static void reply(const char *fmt, ...) {
  char line[4096];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(line, sizeof line - 1, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if ((size_t)n > sizeof line - 2) n = sizeof line - 2;
  for (int i = 0; i < n; i++) {
    if (line[i] == '\n') line[i] = ' ';
  }
  line[n++] = '\n';
  write_all(1, line, (size_t)n);
}

/*
 * In the child: says why a setup step failed on stderr (the agent's, before the redirection; the
 * task's stderr file after it) and ends with SETUP_FAILED, which the containerizer reports as the
 * task's exit status.
 */
static void fail(const char *fmt, ...) {
  char msg[2048];
  int saved = errno;
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (n < 0) n = 0;
  if ((size_t)n >= sizeof msg) n = sizeof msg - 1;
  snprintf(msg + n, sizeof msg - (size_t)n, ": %s\n", strerror(saved));
  ssize_t ignored = write(2, "agora-launch: ", 14);
  ignored = write(2, msg, strlen(msg));
  (void)ignored;
  _exit(SETUP_FAILED);
}

static void child(const struct request *r, const struct passwd *pw, int go, int out, int err) {
  /* First of all, wait until the server has put this process in its cgroups, so that nothing
   * the task does escapes them: it says "g", or closes the pipe if it could not. */
  char c = 0;
  while (read(go, &c, 1) < 0 && errno == EINTR) {}
  if (c != 'g') _exit(SETUP_FAILED);
  close(go);
  sigset_t all;
  sigemptyset(&all);
  sigprocmask(SIG_SETMASK, &all, NULL);
  for (int s = 1; s < NSIG; s++) {
    if (s != SIGKILL && s != SIGSTOP) signal(s, SIG_DFL);
  }
  if (setsid() < 0) fail("setsid");
  int in = open("/dev/null", O_RDONLY);
  if (in < 0) fail("cannot open /dev/null");
  if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0) fail("dup2");
  if (in > 2) close(in);
  if (out > 2) close(out);
  if (err > 2) close(err);
  if (chdir(r->sandbox) < 0) fail("cannot change to the sandbox %s", r->sandbox);
  /* After the sandbox is open and the working directory: the sandbox may be under /tmp. */
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) fail("cannot make the mounts private");
  if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) fail("cannot mount /proc");
  if (mount(r->tmp, "/tmp", NULL, MS_BIND, NULL) < 0) fail("cannot bind %s on /tmp", r->tmp);
  if (pw != NULL) {
    if (initgroups(pw->pw_name, pw->pw_gid) < 0) fail("initgroups of user '%s'", pw->pw_name);
    if (setgid(pw->pw_gid) < 0) fail("setgid %d", (int)pw->pw_gid);
    if (setuid(pw->pw_uid) < 0) fail("setuid %d", (int)pw->pw_uid);
  }
  environ = r->env; /* execvp searches the task's PATH */
  execvp(r->argv[0], r->argv);
  fail("cannot execute '%s'", r->argv[0]);
}

/* Splits the payload into its strings; returns -1 (and sets *why) if it is malformed. */
static int parse(char *p, size_t len, struct request *r, const char **why) {
  char *end = p + len;
  char **words = NULL;
  size_t count = 0, cap = 0;
  for (char *s = p; s < end;) {
    char *z = memchr(s, '\0', (size_t)(end - s));
    if (z == NULL) { *why = "unterminated string"; free(words); return -1; }
    if (count == cap) {
      cap = cap ? cap * 2 : 64;
      char **grown = realloc(words, cap * sizeof *words);
      if (grown == NULL) { *why = "out of memory"; free(words); return -1; }
      words = grown;
    }
    words[count++] = s;
    s = z + 1;
  }
  size_t i = 0;
#define NEXT() (i < count ? words[i++] : NULL)
  r->id = NEXT(); r->flags = NEXT(); r->user = NEXT(); r->sandbox = NEXT(); r->tmp = NEXT();
  r->out = NEXT(); r->err = NEXT();
  const char *n = NEXT();
  if (n == NULL) { *why = "short request"; free(words); return -1; }
  long nc = strtol(n, NULL, 10);
  if (nc < 0 || (size_t)nc > count - i) { *why = "bad cgroup count"; free(words); return -1; }
  r->ncgroups = (int)nc;
  r->cgroups = words + i;
  i += (size_t)nc;
  n = NEXT();
  long argc = n ? strtol(n, NULL, 10) : -1;
  if (argc < 1 || (size_t)argc > count - i) { *why = "bad argc"; free(words); return -1; }
  /* argv and env are NULL-terminated in place of the count word that follows each. */
  char **argv = malloc(((size_t)argc + 1) * sizeof *argv);
  memcpy(argv, words + i, (size_t)argc * sizeof *argv);
  argv[argc] = NULL;
  i += (size_t)argc;
  n = NEXT();
  long envc = n ? strtol(n, NULL, 10) : -1;
  if (envc < 0 || (size_t)envc != count - i) { *why = "bad envc"; free(argv); free(words); return -1; }
  char **env = malloc(((size_t)envc + 1) * sizeof *env);
  memcpy(env, words + i, (size_t)envc * sizeof *env);
  env[envc] = NULL;
  r->argv = argv;
  r->env = env;
  r->words = words;
  return 0;
#undef NEXT
}

static void launch(char *payload, size_t len) {
  struct request r;
  memset(&r, 0, sizeof r);
  const char *why = NULL;
  if (parse(payload, len, &r, &why) < 0) {
    reply("F ? malformed request: %s", why);
    return;
  }
  struct passwd *pw = NULL;
  if (r.user[0] != '\0') {
    errno = 0;
    pw = getpwnam(r.user);
    if (pw == NULL) {
      if (errno == 0 || errno == ENOENT || errno == ESRCH) {
        reply("F %s user '%s' does not exist", r.id, r.user);
      } else {
        reply("F %s looking up user '%s' failed: %s", r.id, r.user, strerror(errno));
      }
      goto done;
    }
  }
  /* The output files exist once the launch is answered, given to the task's user. */
  int out = open(r.out, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
  if (out < 0) {
    reply("F %s cannot open %s: %s", r.id, r.out, strerror(errno));
    goto done;
  }
  int err = open(r.err, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
  if (err < 0) {
    reply("F %s cannot open %s: %s", r.id, r.err, strerror(errno));
    close(out);
    goto done;
  }
  if (pw != NULL && (chown(r.sandbox, pw->pw_uid, pw->pw_gid) < 0 || fchown(out, pw->pw_uid, pw->pw_gid) < 0
      || fchown(err, pw->pw_uid, pw->pw_gid) < 0)) {
    reply("F %s cannot give the sandbox %s to user '%s': %s", r.id, r.sandbox, pw->pw_name, strerror(errno));
    close(out);
    close(err);
    goto done;
  }
  int go[2];
  if (pipe2(go, O_CLOEXEC) < 0) {
    reply("F %s pipe: %s", r.id, strerror(errno));
    close(out);
    close(err);
    goto done;
  }
  unsigned long flags = CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | SIGCHLD;
  if (strchr(r.flags, 'n') != NULL) flags |= CLONE_NEWNET;
  /* Like fork(), but into new namespaces: the child runs on a copy of this stack. */
  pid_t pid = (pid_t)syscall(SYS_clone, flags, NULL, NULL, NULL, NULL);
  if (pid == 0) {
    close(go[1]);
    child(&r, pw, go[0], out, err);
  }
  close(go[0]);
  close(out);
  close(err);
  if (pid < 0) {
    reply("F %s clone: %s", r.id, strerror(errno));
    close(go[1]);
    goto done;
  }
  /* The child waits: join it to its cgroups before it runs a single instruction of its own. */
  char number[32];
  int digits = snprintf(number, sizeof number, "%d", (int)pid);
  for (int i = 0; i < r.ncgroups; i++) {
    int fd = open(r.cgroups[i], O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write(fd, number, (size_t)digits) != digits) {
      int saved = errno;
      if (fd >= 0) close(fd);
      close(go[1]); /* the child reads end-of-file and exits */
      int status;
      while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
      reply("F %s cannot join cgroup %s: %s", r.id, r.cgroups[i], strerror(saved));
      goto done;
    }
    close(fd);
  }
  ssize_t said = write(go[1], "g", 1);
  (void)said; /* if the child is gone already, its exit is reported */
  close(go[1]);
  reply("L %s %d", r.id, (int)pid);
done:
  free(r.argv);
  free(r.env);
  free(r.words);
}

static void reap(void) {
  for (;;) {
    int status;
    pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid <= 0) return;
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : WIFSIGNALED(status) ? 128 + WTERMSIG(status) : -1;
    if (code >= 0) reply("X %d %d", (int)pid, code);
  }
}

int main(void) {
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  sigprocmask(SIG_BLOCK, &chld, NULL);
  signal(SIGPIPE, SIG_IGN);
  int sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
  if (sfd < 0) {
    perror("agora-launch: signalfd");
    return 1;
  }
  fcntl(0, F_SETFD, FD_CLOEXEC);
  fcntl(1, F_SETFD, FD_CLOEXEC);
  for (int fd = 3; fd < 1024; fd++) {
    if (fd != sfd) close(fd);
  }
  reply("R %d", (int)getpid()); /* ready */
  size_t cap = 1 << 16, have = 0;
  char *buf = malloc(cap);
  for (;;) {
    struct pollfd fds[2] = {{.fd = 0, .events = POLLIN}, {.fd = sfd, .events = POLLIN}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      perror("agora-launch: poll");
      return 1;
    }
    if (fds[1].revents) {
      struct signalfd_siginfo si;
      while (read(sfd, &si, sizeof si) == sizeof si) {}
      reap();
    }
    if (fds[0].revents) {
      if (cap - have < 4096) {
        cap *= 2;
        buf = realloc(buf, cap);
        if (buf == NULL) return 1;
      }
      ssize_t n = read(0, buf + have, cap - have);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return 0; /* the containerizer is gone: leave the containers running */
      have += (size_t)n;
    }
    /* Starts the requests that are in whole in the buffer. */
    for (;;) {
      if (have < 4) break;
      uint32_t len = (uint32_t)(unsigned char)buf[0] | (uint32_t)(unsigned char)buf[1] << 8
          | (uint32_t)(unsigned char)buf[2] << 16 | (uint32_t)(unsigned char)buf[3] << 24;
      if (len > MAX_REQUEST) {
        reply("F ? request of %u bytes is too large", len);
        return 1;
      }
      if (have - 4 < len) {
        while (cap < len + 4) {
          cap *= 2;
          buf = realloc(buf, cap);
          if (buf == NULL) return 1;
        }
        break;
      }
      char *payload = malloc(len ? len : 1);
      memcpy(payload, buf + 4, len);
      memmove(buf, buf + 4 + len, have - 4 - len);
      have -= 4 + (size_t)len;
      launch(payload, len);
      free(payload);
    }
  }
}
