// A compose file or project that cannot be used: the message is compose's,
// naming the file and key where there is one.
export class ComposeError extends Error {}

/**
 * A dependency that started but failed its condition (exited, unhealthy): compose leaves the
 * project's containers as they are, so their logs and state tell why.
 */
export class DependencyFailedError extends ComposeError {}
