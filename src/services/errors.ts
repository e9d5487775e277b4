/** Errors the surfaces turn into clear answers (HTTP status, CLI message). */
export class UserError extends Error {
  readonly status: number = 400;
  constructor(message: string, readonly details?: { path: string; message: string }[]) {
    super(message);
    this.name = new.target.name;
  }
}
export class NotFoundError extends UserError {
  override readonly status = 404;
}
export class ConflictError extends UserError {
  override readonly status = 409;
}
export class UnavailableError extends UserError {
  override readonly status = 503;
}
