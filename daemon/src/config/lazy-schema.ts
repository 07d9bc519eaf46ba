/**
 * A schema built on first use and kept only while something holds it. zod 4 gives every schema
 * object its own methods and a compiled parser, so the config and IPC schemas are ~1 MB of heap;
 * a daemon parses its config at start and on reload, so holding them for good cost a personal
 * daemon ~1 MB of its 60 MB (issue 5). Between uses the garbage collector may drop them; a call
 * in the meantime gets the same object (WeakRef), and composed schemas keep their parts alive.
 */
export function lazySchema<T extends object>(build: () => T): () => T {
  let ref: WeakRef<T> | undefined;
  return () => {
    let schema = ref?.deref();
    if (schema === undefined) {
      schema = build();
      ref = new WeakRef(schema);
    }
    return schema;
  };
}
