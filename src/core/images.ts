// Bridges host images (HWC float arrays) and tensors (1 x C x H x W).
import * as torch from '../tensor/index.js';
import type { Tensor } from '../tensor/index.js';
import type { Image } from '../image/image.js';

export function imageToTensor(img: Image, device?: string): Tensor {
  return torch.tidy(() => torch.tensor(img.data, [img.height, img.width, img.channels], { device })
    .permute(2, 0, 1).unsqueeze(0).contiguous());
}

/** 1 x C x H x W (or C x H x W) tensor to a host image, clamped to [0, 1]. */
export function tensorToImage(t: Tensor): Image {
  return torch.tidy(() => {
    const x = t.ndim === 4 ? t.squeeze(0) : t;
    const [channels, height, width] = x.shape;
    const data = x.detach().clamp(0, 1).permute(1, 2, 0).contiguous().toFloat32Array();
    return { width, height, channels, data };
  });
}
