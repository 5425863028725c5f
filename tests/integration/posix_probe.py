#!/usr/bin/env python3
# POSIX metadata probe: runs the same scenarios in DIR and prints one line
# "label: result" per behaviour. mount_posix.sh runs it on tmpfs and on a
# mount (both at paths of the same length) and compares line by line.
# Non-root steps run through setpriv as uid/gid 65534 (nobody), some with
# the supplementary group 100.
import errno
import os
import subprocess
import sys
import time

NOBODY = 65534
os.umask(0)
os.chdir(sys.argv[1])
ROOT = os.getcwd()


def out(label, value):
    print("%s: %s" % (label, value), flush=True)


def err(fn):
    try:
        fn()
        return "ok"
    except OSError as e:
        return errno.errorcode.get(e.errno, str(e.errno))


def nobody(code, groups=None):
    """Runs python code as nobody in ROOT; its stdout, or the errno name of
    the OSError it raised."""
    cmd = ["setpriv", "--reuid=%d" % NOBODY, "--regid=%d" % NOBODY]
    cmd += ["--groups=%s" % groups] if groups else ["--clear-groups"]
    prog = ("import os, errno, sys\nos.chdir(%r)\ntry:\n" % ROOT +
            "".join("    %s\n" % l for l in code.splitlines()) +
            "except OSError as e:\n    print(errno.errorcode[e.errno])\n")
    r = subprocess.run(cmd + ["python3", "-c", prog], capture_output=True,
                       text=True, timeout=30)
    if r.stdout.strip():
        return r.stdout.strip().replace("\n", "|")
    return (r.stderr.strip().splitlines() or ["?"])[-1]


def nobody_cmd(argv, groups=None):
    cmd = ["setpriv", "--reuid=%d" % NOBODY, "--regid=%d" % NOBODY]
    cmd += ["--groups=%s" % groups] if groups else ["--clear-groups"]
    r = subprocess.run(cmd + argv, capture_output=True, text=True, timeout=30,
                       cwd=ROOT)
    return "rc=%d" % r.returncode


def pause():
    time.sleep(0.02)


def changed(a, b):
    return "changed" if b > a else ("same" if b == a else "went back")


def mode(p):
    return oct(os.lstat(p).st_mode & 0o7777)


# ---- directory mtime/ctime ----
os.mkdir("dt")
os.mkdir("dt2")
for label, fn in [
        ("create", lambda: open("dt/f", "w").close()),
        ("rename inside", lambda: os.rename("dt/f", "dt/g")),
        ("unlink", lambda: os.unlink("dt/g")),
        ("mkdir", lambda: os.mkdir("dt/sub")),
        ("rmdir", lambda: os.rmdir("dt/sub")),
        ("symlink", lambda: os.symlink("target", "dt/ln"))]:
    a = os.stat("dt")
    pause()
    fn()
    b = os.stat("dt")
    out("dir mtime on %s" % label, changed(a.st_mtime_ns, b.st_mtime_ns))
    out("dir ctime on %s" % label, changed(a.st_ctime_ns, b.st_ctime_ns))
# the same right after mkdir, many times: an empty create is committed at
# release, after close() returned, yet the directory must show it at once
n = 0
for i in range(100):
    os.mkdir("dm%d" % i)
    a = os.stat("dm%d" % i)
    time.sleep(0.002)
    open("dm%d/f" % i, "w").close()
    n += os.stat("dm%d" % i).st_mtime_ns > a.st_mtime_ns
out("dir mtime on create right after mkdir (100 times)", n)
open("dt/x", "w").close()
a1, a2 = os.stat("dt"), os.stat("dt2")
pause()
os.rename("dt/x", "dt2/x")
b1, b2 = os.stat("dt"), os.stat("dt2")
out("source dir mtime on rename out", changed(a1.st_mtime_ns, b1.st_mtime_ns))
out("target dir mtime on rename in", changed(a2.st_mtime_ns, b2.st_mtime_ns))
out("target dir ctime on rename in", changed(a2.st_ctime_ns, b2.st_ctime_ns))

# ---- file ctime ----
with open("c", "w") as f:
    f.write("hello")


def write_c():
    with open("c", "r+") as f:
        f.write("H")


for label, fn in [("chmod", lambda: os.chmod("c", 0o600)),
                  ("chown", lambda: os.chown("c", NOBODY, NOBODY)),
                  ("truncate", lambda: os.truncate("c", 2)),
                  ("write", write_c),
                  ("rename", lambda: os.rename("c", "c2")),
                  ("utimes", lambda: os.utime("c2", (1000, 2000)))]:
    name = "c2" if label == "utimes" else "c"
    a = os.stat(name if label != "rename" else "c")
    pause()
    fn()
    b = os.stat("c2" if label in ("rename", "utimes") else "c")
    out("ctime on %s" % label, changed(a.st_ctime_ns, b.st_ctime_ns))
    out("mtime on %s" % label, changed(a.st_mtime_ns, b.st_mtime_ns)
        if label != "utimes" else b.st_mtime_ns)

# ---- SUID/SGID ----
for name, m in (("s1", 0o4777), ("s2", 0o6777), ("s3", 0o2777)):
    with open(name, "w") as f:
        f.write("x")
    os.chmod(name, m)
    out("%s %s after a non-root write" % (name, oct(m)),
        nobody("open(%r, 'a').write('y')\nprint('written')" % name))
    out("%s mode after a non-root write" % name, mode(name))
with open("s4", "w") as f:
    f.write("x")
os.chmod("s4", 0o6755)
with open("s4", "a") as f:
    f.write("root")
out("suid kept on a root write", mode("s4"))
os.chown("s4", NOBODY, -1)
out("suid after chown", mode("s4"))

# ---- sticky directories ----
os.mkdir("st", 0o1777)
os.mkdir("st2", 0o1777)
open("st/rootf", "w").close()
os.mkdir("st/rdir")
out("non-root unlinks root's file in a sticky dir",
    nobody("os.unlink('st/rootf')\nprint('ok')"))
out("non-root renames root's file in a sticky dir",
    nobody("os.rename('st/rootf', 'st/r2')\nprint('ok')"))
out("non-root unlinks its own file in a sticky dir",
    nobody("open('st/nf', 'w').close()\nos.unlink('st/nf')\nprint('ok')"))
out("non-root moves root's dir between sticky dirs",
    nobody("os.rename('st/rdir', 'st2/rdir')\nprint('ok')"))
out("non-root moves its own dir between sticky dirs",
    nobody("os.mkdir('st/ndir')\nos.rename('st/ndir', 'st2/ndir')\nprint('ok')"))
out("root unlinks in a sticky dir", err(lambda: os.unlink("st/rootf")))
os.mkdir("nst", 0o777)
open("nst/rootf", "w").close()
out("non-root unlinks root's file in a plain 0777 dir",
    nobody("os.unlink('nst/rootf')\nprint('ok')"))

# ---- utimensat ----
open("u", "w").close()
os.chmod("u", 0o666)
os.utime("u", ns=(1000 * 10**9 + 5, 2000 * 10**9 + 7))
s = os.stat("u")
out("utimes explicit atime/mtime", "%d %d" % (s.st_atime_ns, s.st_mtime_ns))
subprocess.run(["touch", "-a", "-d", "@3000", "u"], check=True, timeout=30)
s = os.stat("u")
out("touch -a (mtime UTIME_OMIT)", "%d %d" % (s.st_atime_ns, s.st_mtime_ns))
subprocess.run(["touch", "-m", "-d", "@4000", "u"], check=True, timeout=30)
s = os.stat("u")
out("touch -m (atime UTIME_OMIT)", "%d %d" % (s.st_atime_ns, s.st_mtime_ns))
t0 = time.time_ns()
out("non-root touch (UTIME_NOW) with write access", nobody_cmd(["touch", "u"]))
s = os.stat("u")
out("  set both to now", s.st_atime_ns >= t0 - 10**9 and s.st_mtime_ns >= t0 - 10**9)
out("non-root touch -d (explicit) on root's file", nobody_cmd(["touch", "-d", "@5000", "u"]))
out("  times kept", os.stat("u").st_mtime_ns != 5000 * 10**9)
os.chmod("u", 0o644)
out("non-root touch (UTIME_NOW) without write access", nobody_cmd(["touch", "u"]))
os.chown("u", NOBODY, NOBODY)
out("owner touch -d (explicit) on its file", nobody_cmd(["touch", "-d", "@6000", "u"]))
out("  mtime", os.stat("u").st_mtime_ns)

# ---- an unlinked file through its open descriptor ----
with open("ul", "w") as f:
    f.write("abc")
f = open("ul", "r+")
os.unlink("ul")
out("unlinked: name gone", os.path.exists("ul"))
f.seek(0, 2)
f.write("def")
f.flush()
f.seek(0)
out("unlinked: read through the descriptor", f.read())
st = os.fstat(f.fileno())
out("unlinked: fstat nlink size", "%d %d" % (st.st_nlink, st.st_size))
f.close()
out("unlinked: still gone after close", os.path.exists("ul"))
g = open("ul2", "w+")
g.write("never committed")
g.flush()
os.unlink("ul2")
g.seek(0)
out("unlinked before its first close: readable", g.read())
g.close()
out("unlinked before its first close: gone", os.path.exists("ul2"))

# ---- long names, long paths, deep trees ----
out("name of 255 bytes", err(lambda: open("n" * 255, "w").close()))
out("name of 256 bytes", err(lambda: open("n" * 256, "w").close()))
p = ROOT
while 4095 - (len(p) + 201) - 1 >= 50:
    p = p + "/" + "d" * 200
    os.mkdir(p)
left = 4095 - len(p) - 1
out("absolute path of 4095 bytes", err(lambda: open(p + "/" + "f" * left, "w").close()))
out("  readable", err(lambda: open(p + "/" + "f" * left).read()))
out("absolute path of 4096 bytes", err(lambda: open(p + "/" + "f" * (left + 1), "w").close()))
os.chdir(p)
out("relative from deep cwd", err(lambda: open("rel", "w").close()))
os.chdir(ROOT)
q = "deep"
os.mkdir(q)
for i in range(200):
    q = q + "/d"
os.makedirs(q)
out("a tree 200 levels deep", err(lambda: open(q + "/leaf", "w").write("x")))
out("  stat", os.stat(q + "/leaf").st_size)

# ---- chown by a non-root owner ----
open("own", "w").close()
os.chown("own", NOBODY, NOBODY)
out("owner chgrp to one of its groups", nobody_cmd(["chgrp", "100", "own"], groups="100"))
out("  gid", os.stat("own").st_gid)
out("owner chgrp to a group it is not in", nobody_cmd(["chgrp", "0", "own"], groups="100"))
out("owner chown to another user", nobody_cmd(["chown", "0", "own"], groups="100"))

# ---- non-root write through O_WRONLY ----
os.mkdir("nrw", 0o777)
out("non-root O_WRONLY|O_CREAT + 1-byte write: fstat size", nobody(
    "fd = os.open('nrw/x', os.O_WRONLY | os.O_CREAT, 0o644)\n"
    "os.write(fd, b'1')\nprint(os.fstat(fd).st_size)\nos.close(fd)"))
out("  size after close", os.stat("nrw/x").st_size)
out("non-root O_WRONLY on an existing file + 1-byte write: fstat size", nobody(
    "open('nrw/y', 'w').write('hello')\n"
    "fd = os.open('nrw/y', os.O_WRONLY)\nos.write(fd, b'J')\n"
    "print(os.fstat(fd).st_size)\nos.close(fd)\nprint(open('nrw/y').read())"))
