// Every engine failure is a thrown JS Error carrying libtorch's (or our) explanation, never a crash.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as torch from '../src/tensor/index.js';
import { native } from '../src/tensor/native.js';
import { skip } from '../src/nn/skip.js';

/** Asserts fn throws an Error (not a crash, not a non-Error value) whose message matches re. */
function throwsError(fn: () => unknown, re: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof Error, `threw a non-Error: ${String(e)}`);
    assert.match(e.message, re);
    assert.doesNotMatch(e.message, /Exception raised from/, 'the C++ backtrace is trimmed');
    return true;
  });
}

describe('engine errors', () => {
  test('shape mismatch in a broadcasting op', () => {
    throwsError(() => torch.zeros([2, 3]).add(torch.zeros([4, 5])),
      /The size of tensor a \(3\) must match the size of tensor b \(5\) at non-singleton dimension 1/);
  });

  test('shape mismatch in matmul', () => {
    throwsError(() => torch.zeros([2, 3]).matmul(torch.zeros([4, 5])), /mat1 and mat2 shapes cannot be multiplied \(2x3 and 4x5\)/);
  });

  test('conv2d weight / input channel mismatch', () => {
    throwsError(() => torch.conv2d(torch.zeros([1, 3, 5, 5]), torch.zeros([4, 2, 3, 3])),
      /weight of size \[4, 2, 3, 3\], expected input\[1, 3, 5, 5\] to have 2 channels, but got 3 channels/);
  });

  test('bad dtype name', () => {
    throwsError(() => torch.zeros([2], { dtype: 'float16' as torch.DType }), /Unknown dtype 'float16': use float32, float64/);
    throwsError(() => torch.ones([2]).toType('half' as torch.DType), /Unknown dtype 'half'/);
  });

  test('unknown pad mode', () => {
    throwsError(() => torch.pad(torch.zeros([1, 1, 4, 4]), [1, 1, 1, 1], 'circular' as 'reflect'),
      /Unknown pad mode 'circular': use reflect, replicate or constant/);
  });

  test('reflect padding as large as the input (libtorch\'s check)', () => {
    throwsError(() => torch.pad(torch.zeros([1, 1, 2, 2]), [2, 2, 0, 0], 'reflect'), /Padding size should be less than the corresponding input dimension/);
  });

  test('use after dispose: a tensor freed by tidy, then used', () => {
    let leaked: torch.Tensor | undefined;
    const kept = torch.tidy(() => {
      leaked = torch.ones([2]);
      return torch.zeros([2]);
    });
    assert.equal(leaked!.isDisposed, true);
    assert.equal(kept.isDisposed, false);
    throwsError(() => leaked!.add(1), /Tensor used after dispose\(\)/);
    throwsError(() => kept.add(leaked!), /Tensor used after dispose\(\)/);
    throwsError(() => leaked!.shape, /Tensor used after dispose\(\)/);
    assert.equal(leaked!.toString(), 'Tensor(disposed)');
  });

  test('use after free at the native layer (a stale handle) is an Error too', () => {
    const t = torch.ones([2]);
    const h = t.handle;
    t.dispose();
    t.dispose(); // twice is fine
    throwsError(() => native.unary('abs', h), /Tensor used after it was freed/);
    throwsError(() => native.binary('add', torch.ones([2]).handle, h), /Tensor used after it was freed/);
  });

  test('cuda on this CPU-only machine names the fix', { skip: torch.cudaAvailable() ? 'CUDA is available here' : false }, () => {
    throwsError(() => torch.zeros([2], { device: 'cuda' }), /no usable CUDA device\. Use --device cpu, or rebuild against a CUDA libtorch: LIBTORCH=/);
    throwsError(() => torch.ones([2]).to('cuda:0'), /no usable CUDA device/);
    throwsError(() => torch.setDefaultDevice('cuda'), /no usable CUDA device/);
    assert.equal(torch.defaultDevice(), 'cpu', 'a failed setDefaultDevice changes nothing');
  });

  test('an invalid device string', () => {
    throwsError(() => torch.zeros([2], { device: 'foo' }), /Expected one of cpu, cuda, .* device type at start of device string: foo/);
    throwsError(() => torch.zeros([2], { device: 'gpu0' }), /Invalid device string: 'gpu0'/);
    throwsError(() => torch.ones([2]).to('cpu:x'), /Invalid device string: 'cpu:x'/);
    throwsError(() => torch.zeros([2], { device: 'mps' }), /Unsupported device 'mps': use cpu or cuda\[:N\]/);
  });

  test('item() on a multi-element tensor', () => {
    throwsError(() => torch.zeros([2, 3]).item(), /item\(\) needs a tensor with one element, got 6/);
  });

  test('backward on a tensor that does not require grad', () => {
    throwsError(() => torch.ones([3]).sum().backward(), /backward\(\) on a tensor that does not require grad/);
    const w = torch.ones([3]).requiresGrad_();
    throwsError(() => torch.noGrad(() => w.mul(2).sum()).backward(), /does not require grad/);
  });

  test('backward of a non-scalar without a gradient (libtorch\'s check)', () => {
    const w = torch.ones([3]).requiresGrad_();
    throwsError(() => w.mul(2).backward(), /grad can be implicitly created only for scalar outputs/);
  });

  test('backward twice through a freed graph (libtorch\'s check)', () => {
    const w = torch.ones([3]).requiresGrad_();
    const y = w.exp().sum();
    y.backward();
    throwsError(() => y.backward(), /Trying to backward through the graph a second time/);
  });

  test('fromData length mismatch', () => {
    throwsError(() => torch.tensor([1, 2, 3], [2, 3]), /the shape \[2, 3\] holds 6 values but the data has 3/);
    throwsError(() => torch.tensor(new Float64Array(5), [2, 2]), /the shape \[2, 2\] holds 4 values but the data has 5/);
  });

  test('bad arguments from JS are TypeErrors with the argument named', () => {
    assert.throws(() => torch.zeros([2.5]), (e: unknown) => e instanceof TypeError && /Expected an integer for shape/.test(e.message));
    assert.throws(() => torch.ones([2]).narrow(0, 0.5, 1), (e: unknown) => e instanceof TypeError && /start/.test(e.message));
  });

  test('index out of range (libtorch\'s check)', () => {
    throwsError(() => torch.ones([2, 3]).narrow(1, 2, 2), /start \(2\) \+ length \(2\) exceeds dimension size \(3\)/);
    throwsError(() => torch.ones([2, 3]).sum(5), /Dimension out of range/);
  });

  test('reshape to an incompatible size (libtorch\'s check)', () => {
    throwsError(() => torch.ones([2, 3]).reshape(4, 2), /shape '\[4, 2\]' is invalid for input of size 6/);
  });

  test('skip net with a size not a multiple of 2^levels', () => {
    torch.manualSeed(0);
    const net = skip('A', 2, 3);
    throwsError(() => torch.tidy(() => net.forward(torch.zeros([1, 2, 30, 32]))),
      /Skip network with 3 levels needs height and width multiples of 8, got 30x32/);
    torch.dispose(net.parameters());
  });

  test('an optimizer over a freed parameter fails cleanly', () => {
    const w = torch.ones([2]).requiresGrad_();
    w.dispose();
    throwsError(() => new torch.SGD([w]), /Tensor used after dispose\(\)/);
  });

  test('none of these crash the process: the same errors in a child process exit 0', () => {
    const here = fileURLToPath(new URL('../src/tensor/index.js', import.meta.url));
    const script = `
      const torch = await import(${JSON.stringify(here)});
      const tries = [
        () => torch.zeros([2, 3]).add(torch.zeros([4, 5])),
        () => torch.conv2d(torch.zeros([1, 3, 5, 5]), torch.zeros([4, 2, 3, 3])),
        () => torch.zeros([2], { device: 'cuda:7' }),
        () => torch.ones([2]).sum().backward(),
        () => torch.pad(torch.zeros([1, 1, 2, 2]), [5, 5, 5, 5], 'reflect'),
        () => torch.interpolate(torch.zeros([1, 1, 2, 2]), [0, 4]),
        () => torch.zeros([2]).indexSelect(0, torch.tensor(new BigInt64Array([7n]))),
      ];
      let n = 0;
      for (const f of tries) { try { f(); } catch (e) { if (e instanceof Error) n++; } }
      console.log('caught', n);`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /caught 7/);
  });
});
