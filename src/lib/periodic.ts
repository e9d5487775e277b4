/** Runs a job again and again, `intervalMs` after each run ends (never two at once); stop() waits for a run under way. */
export class Periodic {
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;
  private stopped = false;

  constructor(
    private readonly job: () => Promise<unknown>,
    private readonly onError: (err: Error) => void,
  ) {}

  start(intervalMs: number) {
    const loop = async () => {
      try {
        this.running = this.job();
        await this.running;
      } catch (err) {
        this.onError(err as Error);
      } finally {
        this.running = undefined;
        if (!this.stopped) {
          this.timer = setTimeout(loop, intervalMs);
          this.timer.unref();
        }
      }
    };
    this.timer = setTimeout(loop, intervalMs);
    this.timer.unref();
  }

  async stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
  }
}
