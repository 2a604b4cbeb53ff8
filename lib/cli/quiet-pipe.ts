// A closed pipe (`cli ... | head`) ends the command quietly: without a listener, Node raises EPIPE as an uncaught
// exception, which the wasm backend's handler prints with its whole bundled source.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
}

export {};
