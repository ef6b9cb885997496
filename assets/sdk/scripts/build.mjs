// Builds dist/: the ES module bundle (esbuild, with @msgpack/msgpack inside)
// and the type declarations (tsc). The output depends only on src/ and the
// locked package versions, so CI can rebuild and `git diff --exit-code dist`.
import { execFileSync } from "node:child_process";
import { rmSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(import.meta.url);

rmSync(join(root, "dist"), { recursive: true, force: true });

await build({
  absWorkingDir: root,
  entryPoints: ["src/parlor.ts"],
  outfile: "dist/parlor.js",
  bundle: true,
  format: "esm",
  platform: "browser",
  target: "es2020",
  minify: false,
  sourcemap: false,
  legalComments: "inline",
  charset: "utf8",
  logLevel: "warning",
});

execFileSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", join(root, "tsconfig.json")], {
  stdio: "inherit",
});
