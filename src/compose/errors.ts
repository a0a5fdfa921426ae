// A compose file or project that cannot be used: the message is compose's,
// naming the file and key where there is one.
export class ComposeError extends Error {}
