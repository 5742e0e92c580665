// busboy 1.6 ships no types; only what src/admin/admin-body.ts uses.
declare module 'busboy' {
  import type { IncomingHttpHeaders } from 'node:http';
  import type { Readable, Writable } from 'node:stream';

  namespace busboy {
    interface Limits {
      fieldNameSize?: number;
      fieldSize?: number;
      fields?: number;
      fileSize?: number;
      files?: number;
      parts?: number;
      headerPairs?: number;
    }
    interface Busboy extends Writable {
      on(event: 'field', listener: (name: string, value: string) => void): this;
      on(event: 'file', listener: (name: string, stream: Readable) => void): this;
      on(event: 'filesLimit' | 'partsLimit' | 'fieldsLimit' | 'close', listener: () => void): this;
      on(event: 'error', listener: (error: Error) => void): this;
    }
  }
  function busboy(config: { headers: IncomingHttpHeaders; limits?: busboy.Limits }): busboy.Busboy;
  export default busboy;
}
