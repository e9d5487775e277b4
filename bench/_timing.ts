import { TestFreehold } from '../test/helpers/freehold.js';
const fh = await TestFreehold.start();
try {
  await fh.install('radicale', 'tim2');
  const b = await fh.request('POST', '/api/installations/tim2/backups');
  console.log(JSON.stringify(b).slice(0, 200));
  await new Promise((r) => setTimeout(r, 5000));
  const { snapshots } = await fh.request('GET', '/api/installations/tim2/backups');
  for (let i = 0; i < 2; i++) {
    const t0 = Date.now();
    const r = await fh.request('POST', '/api/installations/tim2/restore', { snapshot: snapshots[0].id });
    const id = r.task?.id ?? r.id;
    let task: any;
    while (true) {
      task = await fh.request('GET', `/api/tasks/${id}`);
      if ((task.task ?? task).status === 'succeeded' || (task.task ?? task).status === 'failed') break;
      await new Promise((r) => setTimeout(r, 20));
    }
    console.log('total', Date.now() - t0, 'ms');
    console.log(JSON.stringify(task).slice(0, 3000));
  }
  await fh.uninstall('tim2');
} finally {
  await fh.stop();
}
