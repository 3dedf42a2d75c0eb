// Processes of the Chromium a benchmark launched, read from /proc (Linux).
import fs from "node:fs";

// Parent pid → child pids, for every process.
export function procTree() {
  const kids = new Map();
  for (const d of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (!kids.has(ppid)) kids.set(ppid, []);
      kids.get(ppid).push(Number(d));
    } catch {}
  }
  return kids;
}

// Renderer processes below this Node process (command line --type=renderer):
// [{pid, cmd}].
export function rendererProcs() {
  const kids = procTree();
  const out = [];
  const stack = [process.pid];
  while (stack.length) {
    const p = stack.pop();
    for (const c of kids.get(p) || []) {
      stack.push(c);
      try {
        const cmd = fs.readFileSync(`/proc/${c}/cmdline`, "utf8");
        if (cmd.includes("--type=renderer")) out.push({ pid: c, cmd });
      } catch {}
    }
  }
  return out;
}

// Their pids.
export const renderers = () => rendererProcs().map((r) => r.pid);
