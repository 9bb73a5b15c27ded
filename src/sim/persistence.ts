// `--state FILE`: the simulator's state as JSON, replaced atomically (write a temporary file beside
// it, flush it to disk, rename it over the old one), so that a crash leaves the old state or the
// new one, never half of one. Concurrent saves coalesce: while one write runs, every further
// request waits for a single next write that includes all their changes.
import { open, readFile, rename, unlink } from 'node:fs/promises';
import type { StateSnapshot } from './state.ts';

export class StateFile {
  readonly path: string;
  private writing: Promise<void> | undefined;
  private queued: Promise<void> | undefined;

  constructor(path: string) {
    this.path = path;
  }

  /** The saved state, or undefined when there is no file yet. */
  async load(): Promise<StateSnapshot | undefined> {
    try {
      return JSON.parse(await readFile(this.path, 'utf8')) as StateSnapshot;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  /** Resolves once a write that began after this call has reached the disk. */
  save(snapshot: () => StateSnapshot): Promise<void> {
    if (this.queued) return this.queued;
    if (!this.writing) return this.start(snapshot);
    this.queued = this.writing
      .catch(() => {})
      .then(() => {
        this.queued = undefined;
        return this.start(snapshot);
      });
    return this.queued;
  }

  private start(snapshot: () => StateSnapshot): Promise<void> {
    const write = this.write(JSON.stringify(snapshot())).finally(() => {
      if (this.writing === write) this.writing = undefined;
    });
    this.writing = write;
    return write;
  }

  private async write(text: string): Promise<void> {
    const temporary = `${this.path}.${process.pid}.tmp`;
    const file = await open(temporary, 'w', 0o600);
    try {
      await file.writeFile(text);
      await file.sync();
    } finally {
      await file.close();
    }
    try {
      await rename(temporary, this.path);
    } catch (error) {
      await unlink(temporary).catch(() => {});
      throw error;
    }
  }
}
