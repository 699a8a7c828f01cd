#!/bin/sh
# `npm start`: the whole system in one process (src/app/local/main.ts), with the settings below,
# which a process takes only when it starts. Each is a default: a setting the operator already gave, in
# the environment or in NODE_OPTIONS, stands. The settings only lower resident memory; the system runs
# the same without them. Run it through npm, which puts the project's Node (its `node` dev dependency,
# node_modules/.bin) first on PATH.
set -eu

# glibc's allocator (other C libraries and systems ignore these variables). By default it gives each
# thread that allocates an arena of its own, up to eight per core, and keeps memory freed there for that
# arena; this process has a dozen such threads (the databases', the queue emulator's, V8's compilers,
# libuv's pool), and what they freed stayed resident.
# Two arenas for all threads:
export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX-2}"
# Free memory at the top of the heap goes back to the operating system once it exceeds 128 KB:
export MALLOC_TRIM_THRESHOLD_="${MALLOC_TRIM_THRESHOLD_-131072}"
# Blocks of 128 KB and more are mapped on their own, so freeing one hands it back at once:
export MALLOC_MMAP_THRESHOLD_="${MALLOC_MMAP_THRESHOLD_-131072}"

# Node's compile cache, in Node's own default place: every start after the first finds its TypeScript
# already stripped and compiled, so no thread loads Node's type stripper (a WebAssembly compiler each
# thread would keep resident). The first start after an install or a change fills it.
# NODE_DISABLE_COMPILE_CACHE=1 turns it off; the directory can be deleted at any time.
tmp="${TMPDIR:-/tmp}"
export NODE_COMPILE_CACHE="${NODE_COMPILE_CACHE-${tmp%/}/node-compile-cache}"

# V8's young generation for the main thread, capped as the worker threads' is
# (src/platform/worker-limits.ts): by default it grows on a busy server and stays grown. V8 would size
# the worker threads' by this flag too, so the system clears it once the main thread's heap exists
# (src/platform/local/process-tuning/).
semi_space=--max-semi-space-size=8
case " ${NODE_OPTIONS-} " in
  *--max-semi-space-size* | *--max_semi_space_size*) semi_space= ;;
esac

# exec: Node takes this process's place, so its id and signals (Ctrl-C, SIGTERM) are Node's own.
# $semi_space unquoted: when empty, no argument at all.
exec node $semi_space "$(dirname "$0")/../src/app/local/main.ts" "$@"
