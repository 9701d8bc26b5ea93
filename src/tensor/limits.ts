// Engine limits that need no engine: the option schema reads them without loading libtorch.

/**
 * Most CPU threads taken: more only oversubscribes any machine's cores, and OpenMP sets up
 * every thread's state at once (1e9 ends the process with "libgomp: Out of memory").
 */
export const MAX_THREADS = 256;
