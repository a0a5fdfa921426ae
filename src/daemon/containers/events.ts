/** Where the engine reports Docker events (type, action, actor ID, attributes). */
export interface EventSink {
  emit(type: string, action: string, id: string, attributes: Record<string, string>): void;
}
