#!/usr/bin/env python3
"""run_program.py - run one WASI test program under `twine run` (and its
native twin) and judge the result.

    run_program.py NAME --twine TWINE --wasm NAME.wasm [--native EXE]
                   --work DIR

Every run gets a fresh directory tree under DIR. The guest sees its tree as
/sandbox (`--dir TREE::/sandbox`); the native twin gets the absolute path
of an identical tree. A program's transcript is one line per check
("ok LABEL" / "FAIL LABEL: ...", see tp.h), data lines ("  key: value")
and a summary "done: N checks, F failed".

Judging:
  * a transcript must contain no FAIL line, end with a "done:" line with
    0 failed, and the exit status must be the expected one (0);
  * with a native twin, both transcripts must be equal after dropping the
    "wasi." checks (compiled only for WASI), the "native." ones (compiled
    only natively) and the summary line, and the
    trees the two runs leave behind must be equal (names, types, sizes,
    file contents, symlink targets);
  * program-specific checks below (expected output where WASI and Linux
    legitimately differ, host-side effects, the socket peer).
Exit status 0 when everything holds; otherwise every problem is printed.
"""
import argparse
import ctypes
import hashlib
import os
import shutil
import socket
import subprocess
import sys
import threading
import time

TIMEOUT = 240  # seconds for one run

problems = []


def problem(msg):
    problems.append(msg)
    print("PROBLEM: " + msg, flush=True)


def show(title, text):
    print("---- %s ----" % title)
    sys.stdout.write(text if text.endswith("\n") or not text else text + "\n")


# ---- running -----------------------------------------------------------------


class Run:
    def __init__(self, who, rc, out, err):
        self.who, self.rc, self.out, self.err = who, rc, out, err


def run(who, cmd, env=None, stdin=b"", timeout=TIMEOUT):
    try:
        p = subprocess.run(cmd, input=stdin, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, env=env, timeout=timeout)
        r = Run(who, p.returncode, p.stdout.decode("utf-8", "replace"),
                p.stderr.decode("utf-8", "replace"))
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode("utf-8", "replace")
        err = (e.stderr or b"").decode("utf-8", "replace")
        r = Run(who, None, out, err)
        problem("%s: timed out after %d s: %s" % (who, timeout, " ".join(cmd)))
    return r


def twine_cmd(args, wasm, dirs=(), env=None, extra=()):
    cmd = [args.twine, "run"]
    for host, guest in dirs:
        cmd += ["--dir", "%s::%s" % (host, guest)]
    for k, v in (env or {}).items():
        cmd += ["--env", "%s=%s" % (k, v)]
    cmd += list(extra)
    return cmd + [wasm]


def native_env(extra=None):
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C"}
    env.update(extra or {})
    return env


def fresh(work, name):
    d = os.path.join(work, name)
    if os.path.lexists(d):
        shutil.rmtree(d)
    os.makedirs(d)
    return os.path.realpath(d)


# ---- judging transcripts ------------------------------------------------------


def clean(r, want_rc=0):
    """The run passed every check and exited with want_rc."""
    ok = True
    lines = r.out.splitlines()
    fails = [l for l in lines if l.startswith("FAIL")]
    done = [l for l in lines if l.startswith("done:")]
    if fails:
        problem("%s: %d failed checks:\n  %s" % (r.who, len(fails),
                                                 "\n  ".join(fails)))
        ok = False
    if len(done) != 1 or not done[0].endswith(" 0 failed"):
        problem("%s: no clean summary line (got %r)" % (r.who, done))
        ok = False
    if r.rc != want_rc:
        problem("%s: exit status %s, expected %s" % (r.who, r.rc, want_rc))
        ok = False
    if not ok:
        show(r.who + " stdout", r.out)
        show(r.who + " stderr", r.err)
    return ok


def portable(out):
    keep = []
    for l in out.splitlines():
        if l.startswith(("ok wasi.", "FAIL wasi.", "ok native.",
                         "FAIL native.")):
            continue
        if l.startswith("done:"):
            continue
        keep.append(l)
    return keep


def compare(w, n):
    a, b = portable(w.out), portable(n.out)
    if a != b:
        import difflib
        d = "\n".join(difflib.unified_diff(b, a, "native", "twine", lineterm=""))
        problem("transcripts differ (native vs twine):\n" + d)
    if w.rc != n.rc:
        problem("exit status differs: twine %s, native %s" % (w.rc, n.rc))


def tree(root):
    """name -> (type, size, content hash or link target), mtimes left out."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = os.path.join(dirpath, name)
            rel = os.path.relpath(p, root)
            st = os.lstat(p)
            if os.path.islink(p):
                out[rel] = ("link", os.readlink(p))
            elif os.path.isdir(p):
                out[rel] = ("dir",)
            else:
                with open(p, "rb") as f:
                    h = hashlib.sha256(f.read()).hexdigest()[:16]
                out[rel] = ("file", st.st_size, h)
    return out


def compare_trees(wroot, nroot):
    a, b = tree(wroot), tree(nroot)
    if a != b:
        diff = []
        for k in sorted(set(a) | set(b)):
            if a.get(k) != b.get(k):
                diff.append("  %s: twine %s, native %s" % (k, a.get(k), b.get(k)))
        problem("the trees left behind differ:\n" + "\n".join(diff[:40]))


def snapshot(root):
    """Everything about a tree, mtimes and inode numbers included."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in [""] + dirnames + filenames:
            p = os.path.join(dirpath, name) if name else dirpath
            st = os.lstat(p)
            rel = os.path.relpath(p, root)
            extra = None
            if os.path.islink(p):
                extra = os.readlink(p)
            elif os.path.isfile(p):
                with open(p, "rb") as f:
                    extra = hashlib.sha256(f.read()).hexdigest()
            out[rel] = (st.st_mode, st.st_size, st.st_mtime_ns, st.st_ino, extra)
    return out


# ---- the programs -----------------------------------------------------------------


def both(args, name, argv, env=None, stdin=b"", want_rc=0, trees=True):
    """Run the wasm and the native twin on identical fresh trees and
    compare."""
    wroot = fresh(args.work, name + "-twine")
    w = run("twine " + name, twine_cmd(args, args.wasm, [(wroot, "/sandbox")],
                                       env) + ["/sandbox"] + argv,
            stdin=stdin)
    nroot = fresh(args.work, name + "-native")
    n = run("native " + name, [args.native, nroot] + argv, env=native_env(env),
            stdin=stdin)
    ok_w = clean(w, want_rc)
    ok_n = clean(n, want_rc)
    if not ok_n:
        problem("the native run fails: the program itself is wrong")
    if ok_w and ok_n:
        compare(w, n)
        if trees:
            compare_trees(wroot, nroot)
    return w, n


def t_args_env(args):
    argv = ["plain", "with space", "", "tab\there", "\u00fc\u00f1\u00ee",
            "--not-an-option", "a=b"]
    env = {"TP_GREETING": "hello world", "TP_EMPTY": "", "TP_EQ": "a=b=c",
           "TP_UNI": "\u00e9t\u00e9"}
    data = bytes((i * 7 + i // 251) & 0xFF for i in range(200000))
    w, n = both(args, "args_env", argv, env, stdin=data)
    for r in (w, n):
        if "to stderr" not in r.err:
            problem("%s: stderr lacks the line written to fd 2" % r.who)
    want = "  args after ROOT: %d" % len(argv)
    if want not in w.out.splitlines():
        problem("twine args_env: no %r line" % want)
    # stdin closed: the program must see end of file at once
    r = run("twine args_env (stdin /dev/null)",
            twine_cmd(args, args.wasm, env=env) + ["/sandbox"],
            stdin=b"")
    clean(r)
    if "  stdin: 0 bytes, hash 0" not in r.out.splitlines():
        problem("args_env with empty stdin: expected 0 bytes")


def t_exit_code(args):
    exe = args.wasm
    cases = [  # (argv, expected status, expected stdout)
        (["return", "0"], 0, "returning 0\n"),
        (["return", "7"], 7, "returning 7\n"),
        (["exit", "3"], 3, "exiting with 3"),
        (["exit", "125"], 125, "exiting with 125"),
        (["atexit", "5"], 5, "exiting with 5\natexit handler ran\n"),
        (["raw", "42"], 42, "raw exit 42\n"),
        (["raw", "0"], 0, "raw exit 0\n"),
    ]
    for argv, rc, out in cases:
        wroot = fresh(args.work, "exit")
        w = run("twine exit_code " + " ".join(argv),
                twine_cmd(args, exe, [(wroot, "/sandbox")]) + ["/sandbox"] + argv)
        n = run("native exit_code " + " ".join(argv),
                [args.native, wroot] + argv, env=native_env())
        for r in (w, n):
            if r.rc != rc or r.out != out:
                problem("%s: status %s stdout %r, expected %s %r" %
                        (r.who, r.rc, r.out, rc, out))
    # Twine's documented rule: proc_exit codes above 255 give 255
    w = run("twine exit_code raw 300",
            twine_cmd(args, exe) + ["/sandbox", "raw", "300"])
    if w.rc != 255 or w.out != "raw exit 300\n":
        problem("twine exit_code raw 300: status %s stdout %r, expected 255" %
                (w.rc, w.out))
    # abort() is a trap: status 134 and a message, stdout flushed before
    w = run("twine exit_code trap", twine_cmd(args, exe) + ["/sandbox", "trap"])
    if w.rc != 134 or w.out != "about to abort\n" or "trap" not in w.err:
        problem("twine exit_code trap: status %s stdout %r stderr %r, expected "
                "134, 'about to abort', a trap message" % (w.rc, w.out, w.err))
    n = run("native exit_code trap", [args.native, ".", "trap"], env=native_env())
    if n.out != "about to abort\n":
        problem("native exit_code trap: stdout %r" % n.out)
    # proc_raise / sched_yield
    both(args, "exit_raise", ["raise"], trees=False)
    w = run("twine exit_code raise (stdout check)",
            twine_cmd(args, exe) + ["/sandbox", "raise"])
    if "still running" not in w.out:
        problem("twine exit_code raise: the program did not go on after proc_raise")


def t_fs(args, name):
    both(args, name, [])


def t_clocks(args):
    both(args, "clocks", [], trees=False)  # raw polls use a scratch file
    # stdin readiness: an interactive pipe
    for who, cmd in (("twine clocks stdin",
                      None),
                     ("native clocks stdin", [args.native, ".", "stdin"])):
        root = fresh(args.work, "clocks-stdin")
        if cmd is None:
            cmd = twine_cmd(args, args.wasm, [(root, "/sandbox")]) + \
                ["/sandbox", "stdin"]
        interactive_stdin(who, cmd)


def interactive_stdin(who, cmd):
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, env=native_env())
    out = []
    deadline = time.time() + TIMEOUT
    timer = threading.Timer(TIMEOUT, p.kill)
    timer.start()
    try:
        for raw in p.stdout:
            line = raw.decode("utf-8", "replace")
            out.append(line)
            if line == "  send: ping\n":
                time.sleep(0.2)  # let the program block in poll first
                p.stdin.write(b"ping\n")
                p.stdin.flush()
            elif line == "  send: close\n":
                time.sleep(0.2)
                p.stdin.close()
        err = p.stderr.read().decode("utf-8", "replace")
        rc = p.wait()
    finally:
        timer.cancel()
    if time.time() > deadline:
        problem("%s: killed after %d s" % (who, TIMEOUT))
    r = Run(who, rc, "".join(out), err)
    clean(r)
    return r


def t_fd_raw(args):
    a = fresh(args.work, "fd_raw-sandbox")
    b = fresh(args.work, "fd_raw-second")
    w = run("twine fd_raw", twine_cmd(args, args.wasm, [(a, "/sandbox"),
                                                        (b, "/second")])
            + ["/sandbox"])
    clean(w)
    # host-side effects of what the guest did
    if os.path.exists(os.path.join(a, "rc")):
        with open(os.path.join(a, "rc"), "rb") as f:
            if f.read() != b"via fd 2":
                problem("fd_raw: the file renumbered onto fd 2 does not hold "
                        "what was written to fd 2")
    else:
        problem("fd_raw: file rc missing")
    if os.listdir(b):
        problem("fd_raw: the closed preopen /second was written: %s" %
                os.listdir(b))
    # the last times set on r.txt: path_filestat_set_times(atim 5, mtim 6)
    if os.lstat(os.path.join(a, "r.txt")).st_mtime_ns != 6:
        problem("fd_raw: r.txt mtime on the host is %d ns, expected 6" %
                os.lstat(os.path.join(a, "r.txt")).st_mtime_ns)


def t_efault(args):
    a = fresh(args.work, "efault")
    w = run("twine efault", twine_cmd(args, args.wasm, [(a, "/sandbox")],
                                      env={"TP_VAR": "some value"}) +
            ["/sandbox"])
    clean(w)
    lines = w.out.splitlines()
    if "  scratch size after faulting writes: 0" not in lines:
        problem("efault: a faulting write changed the file (%s)" %
                [l for l in lines if "scratch size" in l])
    if "still running" not in lines:
        problem("efault: the program did not run to its end")
    if sorted(os.listdir(a)) != ["lnk", "scratch"]:
        problem("efault: faulting path calls created something: %s" %
                sorted(os.listdir(a)))


SECRET = b"OUTSIDE SECRET\n"


def sandbox_tree(root):
    t = os.path.join(root, "T")
    os.makedirs(os.path.join(t, "outside", "dir"))
    with open(os.path.join(t, "outside", "secret.txt"), "wb") as f:
        f.write(SECRET)
    s = os.path.join(t, "sandbox")
    os.makedirs(os.path.join(s, "sub", "deep"))
    with open(os.path.join(s, "file.txt"), "w") as f:
        f.write("inside\n")
    with open(os.path.join(s, "sub", "inner.txt"), "w") as f:
        f.write("inner\n")
    outside = os.path.join(t, "outside")
    links = {
        "link_out": "../outside",
        "link_out_file": "../outside/secret.txt",
        "link_abs": os.path.join(outside, "secret.txt"),
        "link_abs_dir": outside,
        "link_root": "/",
        "link_dotdot": "..",
        "sub/link_up2": "../../outside",
        "sub/link_in": "../file.txt",
        "chain1": "chain2",
        "chain2": "sub/chain3",
        "sub/chain3": "../../outside/secret.txt",
        "link_guest_abs": "/sandbox/file.txt",
        "link_del": "../outside",
    }
    for name, target in links.items():
        os.symlink(target, os.path.join(s, name))
    return t, s, outside


def check_outside(t, before_t, before_out, outside, who):
    after_out = snapshot(outside)
    if after_out != before_out:
        diff = [k for k in sorted(set(before_out) | set(after_out))
                if before_out.get(k) != after_out.get(k)]
        problem("%s: the directory outside the sandbox changed: %s" % (who, diff))
    if sorted(os.listdir(t)) != before_t:
        problem("%s: something appeared beside the sandbox: %s" %
                (who, sorted(os.listdir(t))))


def t_sandbox(args):
    root = fresh(args.work, "sandbox-escape")
    t, s, outside = sandbox_tree(root)
    before_out, before_t = snapshot(outside), sorted(os.listdir(t))
    w = run("twine sandbox escape",
            twine_cmd(args, args.wasm, [(s, "/sandbox")]) +
            ["/sandbox", "escape", outside])
    clean(w)
    if SECRET.decode().strip() in w.out + w.err:
        problem("sandbox escape: the secret was printed")
    check_outside(t, before_t, before_out, outside, "sandbox escape")

    # a symlink swapped during the walk, by a thread of this script
    root = fresh(args.work, "sandbox-race")
    t, s, outside = sandbox_tree(root)
    os.makedirs(os.path.join(s, "swap"))
    with open(os.path.join(s, "swap", "secret.txt"), "w") as f:
        f.write("inside\n")
    os.symlink("../outside", os.path.join(s, "swap_alt"))
    with open(os.path.join(s, "swapf"), "w") as f:
        f.write("inside\n")
    os.symlink("../outside/secret.txt", os.path.join(s, "swapf_alt"))
    before_out, before_t = snapshot(outside), sorted(os.listdir(t))
    stop = threading.Event()
    swaps = [0]

    def swapper():
        libc = ctypes.CDLL(None, use_errno=True)
        exchange = getattr(libc, "renameat2", None)
        pairs = [(os.path.join(s, "swap").encode(),
                  os.path.join(s, "swap_alt").encode()),
                 (os.path.join(s, "swapf").encode(),
                  os.path.join(s, "swapf_alt").encode())]
        while not stop.is_set():
            for a, b in pairs:
                if exchange is not None:
                    exchange(-100, a, -100, b, 2)  # AT_FDCWD, RENAME_EXCHANGE
                else:
                    tmp = a + b".tmp"
                    os.rename(a, tmp)
                    os.rename(b, a)
                    os.rename(tmp, b)
                swaps[0] += 1

    th = threading.Thread(target=swapper)
    th.start()
    try:
        w = run("twine sandbox race",
                twine_cmd(args, args.wasm, [(s, "/sandbox")]) +
                ["/sandbox", "race", "3000"])
    finally:
        stop.set()
        th.join()
    clean(w)
    print("race: %d swaps; %s" % (swaps[0], w.err.strip()))
    if swaps[0] < 100:
        problem("sandbox race: the swapper thread hardly ran (%d swaps)" % swaps[0])
    if SECRET.decode().strip() in w.out + w.err:
        problem("sandbox race: the secret was printed")
    check_outside(t, before_t, before_out, outside, "sandbox race")


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def recv_until(c, n, what):
    buf = b""
    while len(buf) < n:
        d = c.recv(n - len(buf))
        if not d:
            problem("sock peer: connection closed after %r, waiting for %s" %
                    (buf, what))
            break
        buf += d
    return buf


def t_sock(args):
    a = fresh(args.work, "sock-files")
    w = run("twine sock files", twine_cmd(args, args.wasm, [(a, "/sandbox")]) +
            ["/sandbox", "files"])
    clean(w)

    for attempt in range(3):
        a = fresh(args.work, "sock-serve")
        port = free_port()
        cmd = twine_cmd(args, args.wasm, [(a, "/sandbox")],
                        extra=["--tcplisten", "127.0.0.1:%d" % port]) + \
            ["/sandbox", "serve"]
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        timer = threading.Timer(TIMEOUT, p.kill)
        timer.start()
        out, peer = [], {}
        try:
            for raw in p.stdout:
                line = raw.decode("utf-8", "replace")
                out.append(line)
                if line == "  connect: now\n":
                    peer = sock_peer(port)
            err = p.stderr.read().decode("utf-8", "replace")
            rc = p.wait()
        finally:
            timer.cancel()
        if rc == 1 and "tcplisten" in err and not out and attempt < 2:
            continue  # the port was taken in between: another one
        break
    r = Run("twine sock serve", rc, "".join(out), err)
    clean(r)
    if peer.get("got") != b"pong:ok\nvia fd_write\n":
        problem("sock peer: received %r, expected the two replies" %
                peer.get("got"))
    if not peer.get("eof"):
        problem("sock peer: no end of stream after the guest's sock_shutdown(WR)")


def sock_peer(port):
    res = {}
    try:
        c = socket.create_connection(("127.0.0.1", port), timeout=30)
    except OSError as e:
        problem("sock peer: cannot connect to 127.0.0.1:%d: %s" % (port, e))
        return res
    with c:
        c.sendall(b"hello from runner\n")
        res["got"] = recv_until(c, 21, "the replies")
        c.sendall(b"second\n")
        try:
            extra = c.recv(100)
        except socket.timeout:
            extra = None
        res["eof"] = extra == b""
        if extra:
            problem("sock peer: unexpected data %r after the replies" % extra)
        c.sendall(b"eof seen\n")
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("name")
    ap.add_argument("--twine", required=True)
    ap.add_argument("--wasm", required=True)
    ap.add_argument("--native")
    ap.add_argument("--work", required=True)
    args = ap.parse_args()
    args.twine = os.path.abspath(args.twine)
    args.wasm = os.path.abspath(args.wasm)
    if args.native:
        args.native = os.path.abspath(args.native)
    os.makedirs(args.work, exist_ok=True)
    args.work = os.path.realpath(args.work)
    tests = {
        "args_env": t_args_env,
        "exit_code": t_exit_code,
        "fs_file": lambda a: t_fs(a, "fs_file"),
        "fs_path": lambda a: t_fs(a, "fs_path"),
        "fs_dir": lambda a: t_fs(a, "fs_dir"),
        "clocks": t_clocks,
        "fd_raw": t_fd_raw,
        "efault": t_efault,
        "sandbox": t_sandbox,
        "sock": t_sock,
    }
    if args.name not in tests:
        print("run_program.py: unknown program %s" % args.name)
        return 2
    for f in (args.twine, args.wasm) + ((args.native,) if args.native else ()):
        if not os.path.exists(f):
            print("run_program.py: missing %s" % f)
            return 2
    tests[args.name](args)
    if problems:
        print("programs.%s: %d problem(s)" % (args.name, len(problems)))
        return 1
    print("programs.%s: passed" % args.name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
