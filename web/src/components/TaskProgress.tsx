/** A task followed live: status, percent, message, log; its error in plain sight when it fails. */
import { useEffect, useRef, useState } from 'react';
import { FINISHED, followTask, type Connection, type Task } from '../api';
import { Status } from './ui';

const CONNECTION: Partial<Record<Connection, string>> = {
  connecting: 'Connecting…',
  reconnecting: 'Connection lost: checking the task directly until live progress is back…',
  offline: 'This device is offline: the task goes on in Freehold; its real state shows here as soon as the connection is back.',
};

export function TaskProgress({ taskId, title, onDone }: { taskId: string; title?: string; onDone?(task: Task): void }) {
  const [task, setTask] = useState<Task | null>(null);
  const [logs, setLogs] = useState<string[]>([]);
  const [conn, setConn] = useState<Connection>('connecting');
  const done = useRef(onDone);
  done.current = onDone;
  useEffect(() => {
    let finished = false;
    return followTask(taskId, {
      onTask: (t) => {
        setTask(t);
        if (FINISHED.includes(t.status) && !finished) {
          finished = true;
          done.current?.(t);
        }
      },
      onLogs: setLogs,
      onConnection: setConn,
    });
  }, [taskId]);

  const status = task?.status ?? 'queued';
  const failed = status === 'failed' || status === 'rolled_back';
  return (
    <section className={`task ${failed ? 'task-failed' : ''}`} aria-label={title ?? 'Task progress'} data-testid="task" data-status={status} data-task-id={taskId}>
      <div className="task-head">
        {title && <h3>{title}</h3>}
        <span data-testid="task-status">
          <Status status={status} />
        </span>
      </div>
      <progress max={100} value={task?.percent ?? 0} aria-label="Progress">
        {task?.percent ?? 0}%
      </progress>
      <p className="task-message" aria-live="polite">
        {task ? `${task.percent}% · ${task.message}` : 'Starting…'}
      </p>
      {CONNECTION[conn] && (
        <p className="notice" role="status" data-testid="task-connection">
          {CONNECTION[conn]}
        </p>
      )}
      {failed && task?.error && (
        <div className="error-box" role="alert" data-testid="task-error">
          <strong>{status === 'rolled_back' ? 'It failed and was rolled back: nothing changed' : 'It failed'}</strong>
          <pre className="error-message">{task.error}</pre>
        </div>
      )}
      {logs.length > 0 && (
        <details className="task-log">
          <summary>Log ({logs.length} lines)</summary>
          <pre>{logs.join('\n')}</pre>
        </details>
      )}
    </section>
  );
}
