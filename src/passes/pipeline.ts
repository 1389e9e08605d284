/** The ordered float-graph optimization pipeline. Each pass keeps float semantics. */
import { canonicalizeViews } from './canonicalize-views.js';
import { eliminateDead } from './eliminate-dead.js';
import { foldBatchNorm } from './fold-batchnorm.js';
import { foldConstants } from './fold-constants.js';
import { foldInputAffine } from './fold-input-affine.js';
import { fuseActivation } from './fuse-activation.js';
import { fuseBias } from './fuse-bias.js';
import { foldPad } from './fold-pad.js';
import type { Pass } from './pass.js';
import { removeIdentity } from './remove-identity.js';

export const optimizationPasses: readonly Pass[] = [
  removeIdentity,
  foldConstants,
  eliminateDead,
  canonicalizeViews,
  foldPad,
  foldBatchNorm,
  foldInputAffine,
  fuseBias,
  fuseActivation,
];
