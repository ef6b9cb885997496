// Starts a real `parlor serve` for the recorder and the live test.
//
// The binary is --bin PATH, else $PARLOR_BIN, else
// $CARGO_TARGET_DIR/debug/parlor, else <repo>/target/debug/parlor.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, connect as tcpConnect } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const repo = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

/** The parlor binary to run. */
export function binary() {
  const at = process.argv.indexOf("--bin");
  if (at >= 0 && process.argv[at + 1]) return process.argv[at + 1];
  if (process.env.PARLOR_BIN) return process.env.PARLOR_BIN;
  return join(process.env.CARGO_TARGET_DIR || join(repo, "target"), "debug", "parlor");
}

/** Whether the binary exists. */
export function haveBinary() {
  return existsSync(binary());
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function reachable(port) {
  return new Promise((resolve) => {
    const socket = tcpConnect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/**
 * Runs `parlor serve` on a free loopback port with a temporary data
 * directory and, if given, manifests ({name: toml text}) that replace the
 * bundled ones. Resolves once the port accepts connections.
 */
export async function startServer(manifests) {
  const port = await freePort();
  const data = mkdtempSync(join(tmpdir(), "parlor-sdk-"));
  const args = ["serve", "--bind", `127.0.0.1:${port}`, "--data-dir", data];
  if (manifests) {
    const dir = join(data, "manifests");
    mkdirSync(dir);
    for (const [name, text] of Object.entries(manifests)) writeFileSync(join(dir, `${name}.toml`), text);
    args.push("--manifests", dir);
  }
  const child = spawn(binary(), args, { stdio: ["ignore", "pipe", "pipe"] });
  // The server's log, last 4 KiB, to explain a failed start.
  let log = "";
  const keep = (chunk) => {
    log = (log + chunk).slice(-4096);
  };
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);
  const exited = new Promise((resolve) => child.once("exit", resolve));
  for (let i = 0; !(await reachable(port)); i++) {
    if (i > 100 || child.exitCode !== null) {
      child.kill("SIGKILL");
      throw new Error(`${binary()} serve did not start:\n${log}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    url: `ws://127.0.0.1:${port}/ws`,
    async stop() {
      child.kill("SIGTERM");
      await exited;
      rmSync(data, { recursive: true, force: true });
    },
  };
}
