"""The classic predictor (Lepton/packJPG spirit) driving the adaptive binary coder.

One numba function codes one component plane, block by block in raster order; the same code encodes
and decodes (``code_bit`` returns the decoded bit), so the two can never disagree. Per block:

1. the non-zero count of the 7x7 AC part (6-bit binary tree), context: weighted neighbours' counts
   and, for chroma and the other planes, the co-located luma blocks' counts;
2. the 7x7 coefficients in zigzag order while non-zeros remain; exponent context: position,
   non-zeros left, magnitude bucket of a weighted average of the same coefficient in the
   above/left/above-left/above-right blocks plus the already coded lower frequencies of this
   block; sign context: the signs of the above and left blocks' same coefficient;
3. per edge (first row, first column) its non-zero count (context: the neighbours' counts of the
   same edge, the 7x7 count, the luma guide), then its values up to the last non-zero: the first
   row predicted from the above block and the first column from the left block by pixel
   continuity: both blocks' pixel rows, extrapolated half a pixel to the shared edge by their
   gradient, must meet (Lakhani's prediction made smoother, integer arithmetic, dequantized with
   the quantizer steps). The value is coded with the prediction (quarter steps) as context, not as
   a residual: measured 1.3 % smaller;
4. DC as a residual from the pixel continuity of the left and above blocks: 16 estimates from
   gradients across the block edges, their mean is the prediction, their spread the context.

Every value is coded as exponent (unary), sign and mantissa bits (``code_int``); mantissa bits
below the top four are coded raw. Contexts start from a trained prior (``prior.py``).

The strong models (``strength`` STRONG, levels 4-5, and STRONGEST, level 6) add, on top of
all that (measured on 16 dev photos / 300 CIFAR validation files, coefficient bytes):

* the modelled mantissa bits also see where the predicted magnitude lies against each bit's
  threshold (7x7: the weighted neighbours' magnitude; edges: the edge prediction; DC: the
  estimates' spread): -0.3 %;
* edge exponents mixed (``mixer.py``) with a second context: half-octave buckets of the edge
  prediction x the neighbours' magnitude of that coefficient: -0.23 %;
* planes after the first: the signs of the 7x7 and edge coefficients mixed with a second context
  holding the co-located coefficient's sign in luma and (third and later planes) in the previous
  plane (Cb for Cr): -0.3 %;
* STRONGEST only (about +30 % CPU over STRONG): the same for luma signs with this block's
  already coded neighbouring coefficients' signs (-0.05 %); edge non-zero counts mixed with a context of how
  many of the edge's 7 predictions round to a non-zero and their total (-0.2 %); 7x7 exponents
  mixed with a context of the above and left blocks' exact small magnitudes and (luma) this
  block's lower neighbours or (other planes) the co-located luma coefficient (-0.2 %).

Their prior (``strong_prior_v1.bin``) also covers CIFAR-sized images (about -3.5 % there).

HINTS_MIXED (learned models at levels 6-9) is STRONGEST where a learned model's hints
(``mlzip.learned``) no longer replace the hand-made magnitude buckets but add a third context,
mixed with the other two (``mixer.code_mixed3``), to the 7x7 and edge exponents, and two to the
DC exponent (hint x spread, hint): the mixer learns how far to trust the network, so a hint can
only help where it predicts (7 dev photos: 0.06-0.08 % fewer coefficient bytes than STRONGEST
without a model; replacing the buckets cost 0.1 %).
ULTRA (levels 7-9 without a learned model) is STRONGEST whose 7x7 and edge exponents are each mixed
from more contexts by a two-layer mixer (``mixer.code_mixed_n``: one first-layer weight set per
exponent slot, one per slot x non-zeros left (7x7) or edge non-zeros left x the line's 7x7
non-zeros (edges), their logits mixed by a second-layer set per slot). The extra contexts start at
p = 1/2 (the strong prior covers the others); the first-layer weights start at 0.85 (classic
context), 0.15 (second), 0.05 (each extra one), the second layer at 0.5 / 0.5. 7x7 exponents mix
six contexts: classic, STRONGEST's second, and

* the block's coded 7x7 non-zero count (15 buckets) x position;
* the above and left blocks' magnitudes around the coefficient (same and neighbouring
  frequencies, half-octave buckets) x non-zeros left (1..4);
* luma: this block's |k-1|, |k-8|; other planes: the co-located luma and previous plane
  magnitudes; both x |above| + |left| (each capped at 3);
* non-zeros left (1..9) x half-octave buckets of the magnitudes already coded in this block.

Edge exponents mix five: classic, second, the edge's non-zeros left (exact) x the prediction's bit
length; the edge's previous value and the two coefficients inwards of it (capped at 3); the
above and left blocks' same coefficient (capped at 3) x (luma) the edge's non-zeros left or
(other planes) the co-located luma magnitude.
Measured (coefficient bytes, every file in one band): the 12 deb-* dev photos -0.94 % against
STRONGEST (4,455,040 -> 4,413,099), the whole dev corpus (55 files) -0.59 % (11,673,378 ->
11,604,193), 500 CIFAR training files (49[5-9]?) -0.07 % (122,464 -> 122,375); against level 6
(STRONGEST in bands) level 9 is -1.26 % on the photos and -0.82 % on the dev corpus. Speed on the
photos, one band: encode 2.7 -> 1.8 MB/s, decode 2.2 -> 1.7 MB/s (level 6: 4.5 / 3.6; a rerun on
the shared 2-core machine: 2.2 -> 1.3-1.5 and 1.8 -> 1.2-1.4, level 6 2.9 / 2.5); CIFAR level 6 -> 9:
encode 2.4-3.0 -> 2.0-2.2 MB/s, decode 2.6-3.3 -> 2.2-2.3 MB/s.
The second layer learns at a third of the first layer's rate (mixer.FINAL_LEARNING_RATE: -0.05 %
against the same rate). Leaving one context out cost (photos, measured at the same rate): edge
neighbours +0.18 %, edge values inwards +0.14 %, 7x7 neighbours' magnitudes +0.07 %, non-zeros left x coded sum +0.05 %, non-zero count
+0.02 %, edge non-zeros left +0.014 %, wide neighbourhood +0.011 %; the weight set per slot x
magnitude bucket instead of non-zeros left cost +0.03 %. Dropped: finer (half-octave) pm4
buckets x non-zeros left (-0.02 % without it), the edge prediction's half-octave buckets x the
line's count (0.000 %), the block's row and column non-zeros so far (0.004 %). Starting weights
0.5 / 0.3 / 0.2 were 0.03 % smaller on the photos but 0.9 % larger on CIFAR.

ULTRA2 (levels 7-9 since coder format 7) is ULTRA with three more decisions mixed by
``code_mixed_n``: the edge non-zero count trees from five contexts (classic, STRONGEST's second, the
7x7's lines with non-zeros (columns for the first row, rows for the first column) x the last such
line, the above and left blocks' exact counts of that edge, the 7x7 count bucket x how many of the
edge's predictions round to non-zero), the DC exponents from four (classic, the above and left
blocks' residual bit lengths, the 7x7 count bucket x the spread bucket, how far the left and the
above estimates' means disagree x the spread bucket), and the DC sign from one richer context (the
spread bucket x which side's estimates are higher x which side's are tighter x the above and left
residuals' signs). Coefficient code length at level 9: the 12 deb-* dev photos 4,413,035 ->
4,394,105 bytes (-0.43 %: edge counts -0.21 %, DC exponents -0.14 %, DC sign -0.08 %), 500 CIFAR
training files (49[5-9]?) 119,727 -> 119,675 (-0.04 %; the DC sign context alone is +0.02 % there:
its contexts start at p = 1/2).

ULTRA3 (levels 7-9 since coder format 8) is ULTRA2 where every 7x7 coefficient (v, u) is also
predicted by pixel continuity, as Lepton does for the edges only: the above block's column-frequency-u
profile, extrapolated half a pixel down to the shared edge, must meet this block's profile extrapolated
half a pixel up; what the 7x7 coefficients of column u coded so far do not explain, divided by one
step of (v, u)'s contribution, predicts it (the edge coefficient, coded later, counts as zero); the
same across the left edge along row v (code_plane's ``cont_a``, ``cont_l``). Offline, on the 12 deb-* dev
photos' luma: the sign of a non-zero 7x7 coefficient given the above and left blocks' signs costs
0.993 bit, with both predictions' signed buckets too 0.917 (counted empirically); counting in the edge
coefficient from the above block's (instead of zero) made it worse (0.948). In the coder, the
predictions' signed buckets (11 x 11 per position) are a third context of the 7x7 signs
(``code_mixed3``, per position, weights starting at 0.5 each: 0.3/0.3/1.0 and 0.7 each were 0.02 %
larger) and half-octave buckets of |above's| + |left's| x non-zeros left a seventh context of the 7x7
exponents. Coefficient code length at level 9: the 12 deb-* photos 4,394,170 -> 4,369,636 bytes
(-0.56 %), 500 CIFAR training files (49[5-9]?) 122,330 -> 122,157 (-0.14 %); encode time +4 %.
Then the 7x7 non-zero count tree, mixed (``code_mixed_n``) from the classic context and two of the
continuity before any coefficient is known: the 14 profiles' total in steps of the first
coefficient of their line (14 buckets) x the neighbours' count bucket x the luma guide, and how many
of them reach half a step x the count bucket (the second first-layer set per node x energy bucket):
4,363,614 bytes (-0.14 %; offline, the count given the neighbours' average cost 1.43 bits a block,
with the energy bucket too 1.33), CIFAR 122,161 (+0.003 %; starting weights 0.6 / 0.3 / 0.3 instead
of ULTRA's: photos -0.004 %, CIFAR +0.14 %). Then the edges: a gradient continues across an edge too, and the
still unknown DC carries none, so the first row's coefficients (0, u) are also predicted from the left
block's row-0 slope at its last pixel (``SLOPE_OUT``) against this block's at its first (``SLOPE_IN``),
what the row's coefficients coded so far leave unexplained, and the first column's from the above
block's column 0 likewise; half-octave buckets of that prediction x the edge prediction's bit length
are a sixth context of the edge exponents, its signed bucket x the edge prediction's sign a third one
of the edge signs: 4,359,428 bytes (-0.10 %), CIFAR 122,000 (-0.13 %); offline (deb luma, first row)
the sign given the edge prediction's bucket cost 0.867 bits, with the slope's too 0.850. The slope
buckets x the edge's non-zeros left instead of the prediction's bit length: 0.003 % smaller (noise,
not taken). ULTRA3 against ULTRA2 in all: photos -0.79 %, CIFAR -0.27 %. Measured, not taken: a
trained prior for ULTRA3's fresh contexts (trained on photos-train and 2,250 CIFAR training files,
counts capped at 6): photos -0.02 %, CIFAR -0.68 %; joint sign contexts (the predictions' buckets x
the neighbours' signs, 53k per set): +0.15 %; |above's + left's| (signed sum) instead of the sum of
magnitudes: +0.006 %.
Dropped: separate buckets of the two predictions for the exponent (+0.03 % against the sum), the
predictions' mean as the 7x7 mantissa bits' reference instead of the neighbours' magnitude (+0.01 %),
the sum's buckets x the magnitude bucket instead of non-zeros left (0.001 %), the second mixer set
chosen by the sum's buckets (-0.013 %).

STRONGEST2 (level 6 since coder format 9) is STRONGEST whose 7x7 and edge signs also mix ULTRA3's
continuity contexts (the predictions' signed buckets per position; the slope prediction's bucket x
the edge prediction's sign) as third contexts (``code_mixed3``, ULTRA3's weight sets), without
ULTRA's two-layer exponent mixing; its own contexts (Y_SIGN7, Y_SIGNE) follow both sets' second
ones. Coefficient bytes against STRONGEST: the 12 deb-* dev photos in one band 4,454,745 ->
4,430,359 (-0.55 %; the 7x7 signs alone -0.50 %), 50 photos-train photos at level 6 (bands)
5,818,764 -> 5,786,487 (-0.55 %), 500 CIFAR validation files 122,464 -> 122,097 (-0.30 %); CPU
about +5-8 % (encode and decode, min of repeated runs). Mixing the continuity magnitude into the
7x7 exponents too (``code_mixed3``) was another -0.15 % for about +5 % more time: not taken.
The neighbours' profiles behind those predictions (and behind every level's edge predictions) are
summed once per block from its non-zero coefficients when it is coded (``bprof``, ``rprof``),
instead of from all 64 coefficients of each neighbour again for every block: same values, same
bytes at every strength.

HINTS_MIXED2 (levels 6-9 with a learned model since coder format 10) is HINTS_MIXED on STRONGEST2:
the hints' third contexts and STRONGEST2's sign contexts both (before it, a learned model's hints were
mixed into STRONGEST, which is now 0.55 % larger than the default without a model).

ULTRA4 (levels 7-9 since coder format 11) is ULTRA3 whose decisions mixed by ``code_mixed_n`` (the
7x7 and edge exponents, the non-zero count trees, the DC exponents) are refined by two APMs (paq's
secondary estimation: a table of 33 knots over the mixed logit, one per first-layer set B, one picked
by a hash of the classic context; ``mixer.APM_SIZE``). Coefficient bytes at level 9: the 12 deb-* dev
photos 4,359,248 -> 4,349,380 (-0.23 %), 500 CIFAR validation files 122,000 -> 121,990 (-0.008 %);
the same APMs on the 7x7 and edge signs (``code_mixed3``): -0.014 % more, not taken.

Measured and dropped (< 0.05 % each): a fast-adapting twin of each context as a third mixer
input, an APM/SSE stage on the 7x7 zero flags, weight sets per magnitude bucket, mixing the 7x7
non-zero count or the DC exponents with second contexts, finer 7x7 magnitude buckets, other
adaptation limits (60: +0.2 %, 255: -0.02 %). At ULTRA2 (session 8, 12 deb dev photos, level 9,
4,394,170 bytes): adaptation limit 60 / 255 +0.07 % / +0.04 %; code_mixed_n's first-layer rate 9
+0.007 %; first-layer set A of the 7x7 exponents per position band (7 or 13 bands) and of the edge
exponents per position -0.06 % (500 CIFAR files +0.02 %); the 7x7 non-zero count tree mixed from
five contexts (above's and left's exact counts, their 7x7 magnitude sums x guide, the farther
neighbours' counts, their DC residual bit lengths) -0.037 %.

Changing anything here changes the format: give it a new version in ``api.py``, rebuild the prior,
and keep this version decodable. Numba's cache sees only this file's content, not the inlined
``rangecoder.py`` and ``mixer.py`` or ``tables.py``'s arrays: ``JIT_SOURCES_SHA256`` (a hash of them,
``tools/stamp_jit.py``; a test fails when it is stale) brings their changes into this file.
"""

import numpy as np
from numba import njit

from mlzip.coder.mixer import N_FINAL, N_INPUTS, N_INPUTS3, code_mixed, code_mixed3, code_mixed_n
from mlzip.coder.rangecoder import CACHE_SIZE, DAMAGED, DECODING, OVERRUN_BYTES, POS, account, code_bit, code_raw
from mlzip.coder.tables import (EDGE_NZ_BUCKET, GUIDE_BUCKET, ICOS, NZ_AVG_BUCKET,
                                NZ_COARSE_BUCKET, NZ_LEFT_BUCKET, ZIGZAG_7X7)
from mlzip.jitviews import unowned

JIT_SOURCES_SHA256 = "35ed400b7d1e59367fcb2f53b82e3b5ea6ab4a7e43f9726ddd22be72a0416914"  # tools/stamp_jit.py

BITLEN_SMALL = np.array([int(v).bit_length() for v in range(1024)], np.int64)
N_MAG = 12  # magnitude buckets (bit length of the prediction, capped)
EXP_SLOTS = 18  # unary exponent decisions per context, caps 16 (coefficients) and 17 (residuals)
MANT_SIZE = EXP_SLOTS * 17  # mantissa contexts per position: [exponent][bit]
N_EDGE = 14
MODELLED_MANTISSA_BITS = 4  # the top mantissa bits get contexts, the rest are coded raw

# context layout of one context set (luma, chroma); offsets in one flat array
O_NZ = 0
N_GUIDE = 5  # buckets of the luma guide's non-zero count (0: no guide)
O_EXP7 = O_NZ + 10 * N_GUIDE * 64
O_SIGN7 = O_EXP7 + 10 * 49 * N_MAG * EXP_SLOTS
O_MANT7 = O_SIGN7 + 49 * 9
O_EDGE_NZ = O_MANT7 + 49 * MANT_SIZE
O_EXPE = O_EDGE_NZ + 2 * 4 * 5 * N_GUIDE * 8
O_SIGNE = O_EXPE + N_EDGE * N_MAG * 3 * 4 * 3 * EXP_SLOTS
O_MANTE = O_SIGNE + N_EDGE * 3 * N_MAG * 3
O_EXPDC = O_MANTE + N_EDGE * MANT_SIZE
O_SIGNDC = O_EXPDC + (N_MAG + 1) * EXP_SLOTS
O_MANTDC = O_SIGNDC + N_MAG + 1
CONTEXTS_PER_SET = O_MANTDC + MANT_SIZE

# Strength (the blob's format version is 2 + strength, see api.py): 0 = the classic model above;
# STRONG adds the contexts below; STRONGEST also mixes the 7x7 exponents and the edge non-zero counts (docstring).
# ULTRA (4, below) mixes more contexts into the 7x7 and edge exponents (docstring).
STRONG = 1
STRONGEST = 2
HINTS_MIXED = 3  # STRONGEST with a learned model's hints as third contexts (docstring)
# the second contexts of the strong models, after both sets' classic ones (one block per set)
N_NB7 = 64  # 7x7: |above| (0..3) x |left| (0..3) x (luma: |k-1| + |k-8| of this block; others: |luma's k|) (0..3)
N_PF = 24  # edges: half-octave buckets of the prediction's magnitude
N_NBE = 4  # edges: |above| + |left| of the same coefficient (0..3)
MANT_REL = 4  # mantissa bits: the prediction well below / below / above / well above the bit's threshold
S_EXP7 = 0
S_EXPE = S_EXP7 + N_NB7 * 49 * EXP_SLOTS
S_MANT7 = S_EXPE + N_PF * N_NBE * N_EDGE * EXP_SLOTS
S_MANTE = S_MANT7 + 49 * MANT_SIZE * MANT_REL
S_MANTDC = S_MANTE + N_EDGE * MANT_SIZE * MANT_REL
N_PSUM = 12  # edge non-zero counts: half-octave buckets of the edge's total predicted magnitude
S_EDGE_NZ = S_MANTDC + MANT_SIZE * MANT_REL
N_SIGNS = 9  # signs: the co-located coefficient's sign in luma (3) x in the previous plane (3)
S_SIGN7 = S_EDGE_NZ + 2 * 8 * N_PSUM * 8
S_SIGNE = S_SIGN7 + 49 * N_SIGNS * 9
SECOND_PER_SET = S_SIGNE + N_EDGE * N_SIGNS * 9
# mixer weight sets per context set: 7x7 and edge exponents per slot, edge non-zero count tree
# levels (row, column), signs per co-located signs
W_EXP7 = 0
W_EXPE = EXP_SLOTS
W_EDGE_NZ = 2 * EXP_SLOTS
W_SIGN7 = W_EDGE_NZ + 6
W_SIGNE = W_SIGN7 + N_SIGNS
WEIGHT_SETS = W_SIGNE + N_SIGNS
# HINTS_MIXED: the third contexts (hint bucket x what the first context sees), after both sets'
# second ones, and their 4-weight mixer sets (per exponent slot) after both sets' 3-weight ones
T_EXP7 = 0  # 7x7: hint x non-zeros left (1..4)
T_EXPE = T_EXP7 + N_MAG * 4 * 49 * EXP_SLOTS  # edges: hint x bit length of the edge prediction
T_DC2 = T_EXPE + N_MAG * N_MAG * N_EDGE * EXP_SLOTS  # DC: hint x the estimates' spread bucket
T_DC3 = T_DC2 + (N_MAG + 1) * (N_MAG + 1) * EXP_SLOTS  # DC: hint alone
THIRD_PER_SET = T_DC3 + (N_MAG + 1) * EXP_SLOTS
X_EXP7, X_EXPE, X_DC = 0, EXP_SLOTS, 2 * EXP_SLOTS
WEIGHT_SETS3 = 3 * EXP_SLOTS
WEIGHT3_BASE = 2 * WEIGHT_SETS * N_INPUTS // N_INPUTS3  # first 4-weight set, in sets of 4
assert 2 * WEIGHT_SETS * N_INPUTS % N_INPUTS3 == 0
# ULTRA: the extra contexts of the 7x7 and edge exponents (p = 1/2 at the start, no prior), after
# both sets' second ones (ULTRA has no third ones), one block per set
ULTRA = 4
N_MIX7 = 6  # 7x7 exponents: classic, second and four extra contexts
N_MIXE = 5  # edge exponents: classic, second and three extra contexts
NZ7_BUCKET = np.searchsorted(np.array([1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 19, 24, 30, 38]), np.arange(64),
                             side="right").astype(np.int64)
N_UNZ7 = 15  # the block's 7x7 non-zero count
N_UWIDE = 64  # half-octave buckets of the above and left blocks' magnitudes around this coefficient x non-zeros left (1..4)
N_UNB = 64  # luma: |k-1|, |k-8|, |above| + |left| (0..3 each); others: |luma's k|, |previous plane's k|, |above| + |left|
N_ULEFT = 9 * 12  # non-zeros left (1..9) x half-octave buckets of the magnitudes coded so far in the block
N_UELEFT = 7 * 4  # edges: the edge's non-zeros left (1..7) x bit length of the prediction (0..3)
N_UEIN = 64  # edges: |previous value of the edge|, |the next two coefficients inwards| (0..3 each)
N_UENB = 64  # edges: |above|, |left| (0..3), (luma) edge non-zeros left or (others) |luma's k|
U_NZ7 = 0
U_WIDE = U_NZ7 + N_UNZ7 * 49 * EXP_SLOTS
U_NB = U_WIDE + N_UWIDE * 49 * EXP_SLOTS
U_LEFT = U_NB + N_UNB * 49 * EXP_SLOTS
U_ELEFT = U_LEFT + N_ULEFT * 49 * EXP_SLOTS
U_EIN = U_ELEFT + N_UELEFT * N_EDGE * EXP_SLOTS
U_ENB = U_EIN + N_UEIN * N_EDGE * EXP_SLOTS
ULTRA_PER_SET = U_ENB + N_UENB * N_EDGE * EXP_SLOTS
# ULTRA's mixer weights (flat offsets after every other model's): per exponent slot a first-layer
# set (N + 1 weights), per slot x N_USEL buckets (7x7: non-zeros left, NZ_LEFT_BUCKET; edges: the
# edge's non-zeros left (1..4) x the line's 7x7 non-zeros (0..2)) the other first-layer set, per
# slot the second-layer set (N_FINAL weights); 7x7 then edges, per context set
N_USEL = 12
UW_A7 = 0
UW_B7 = UW_A7 + EXP_SLOTS * (N_MIX7 + 1)
UW_F7 = UW_B7 + EXP_SLOTS * N_USEL * (N_MIX7 + 1)
UW_AE = UW_F7 + EXP_SLOTS * N_FINAL
UW_BE = UW_AE + EXP_SLOTS * (N_MIXE + 1)
UW_FE = UW_BE + EXP_SLOTS * N_USEL * (N_MIXE + 1)
UW_PER_SET = UW_FE + EXP_SLOTS * N_FINAL
UWEIGHT_BASE = 2 * WEIGHT_SETS * N_INPUTS + 2 * WEIGHT_SETS3 * N_INPUTS3
# ULTRA2 (levels 7-9 since coder format 7): ULTRA, and the edge non-zero count trees and the DC
# exponents mixed from more contexts by code_mixed_n, the DC sign from a richer context. Its extra
# contexts (p = 1/2 at the start) follow both sets' ULTRA ones, its weights both sets' ULTRA weights.
ULTRA2 = 5
N_MIXNZ = 5  # edge non-zero count trees (8 nodes, per kind: row, column): classic, second and three extra
N_MIXDC = 4  # DC exponents: classic and three extra
V_NZL = 0  # edge counts: the 7x7's lines (columns for the row, rows for the column) with non-zeros x the last one
V_NZN = V_NZL + 2 * 64 * 8  # above's and left's exact counts of the same edge
V_NZP = V_NZN + 2 * 64 * 8  # the 7x7 count bucket x how many of the edge's predictions round to non-zero
V_DCN = V_NZP + 2 * N_UNZ7 * 8 * 8  # DC: above's and left's residual bit lengths (0..7 each)
V_DCZ = V_DCN + 64 * EXP_SLOTS  # the 7x7 count bucket x the spread bucket
V_DCD = V_DCZ + N_UNZ7 * (N_MAG + 1) * EXP_SLOTS  # how far the left and above estimates disagree x spread bucket
V_DCS = V_DCD + 12 * (N_MAG + 1) * EXP_SLOTS  # DC sign: spread bucket x which side's estimates are higher x tighter x neighbours' residual signs
ULTRA2_PER_SET = V_DCS + (N_MAG + 1) * 81
VW_AN = 0  # edge counts: first-layer sets per kind x node, per kind x coarse 7x7 count x node; second layer per kind x node
VW_BN = VW_AN + 16 * (N_MIXNZ + 1)
VW_FN = VW_BN + 64 * (N_MIXNZ + 1)
VW_AD = VW_FN + 16 * N_FINAL  # DC: per slot, per slot x spread bucket; second layer per slot
VW_BD = VW_AD + EXP_SLOTS * (N_MIXDC + 1)
VW_FD = VW_BD + EXP_SLOTS * (N_MAG + 1) * (N_MIXDC + 1)
VW_PER_SET = VW_FD + EXP_SLOTS * N_FINAL
# ULTRA3 (levels 7-9 since coder format 8): ULTRA2, and every 7x7 coefficient predicted by pixel continuity
# with the blocks above and to the left (``_continuity``): its magnitude a seventh context of the 7x7
# exponents, its sign (signed buckets of both predictions) a third context of the 7x7 signs. Its extra
# contexts (p = 1/2 at the start) follow both sets' ULTRA2 ones, its weights (4-aligned, for
# code_mixed3's sets) both sets' ULTRA2 weights.
ULTRA3 = 6
N_MIX7_3 = N_MIX7 + 1  # 7x7 exponents: ULTRA's six and the prediction's
N_CPB = 11  # signed buckets of one continuity prediction (quarter steps: 0, 1, 3, 6, 12, 24 and more)
Z_EXP7 = 0  # half-octave buckets of |above's prediction| + |left's| (16) x non-zeros left (1..4)
Z_SIGN7 = Z_EXP7 + 64 * 49 * EXP_SLOTS  # per position, above's bucket x left's bucket
N_CEB = 14  # buckets of the continuity energy: both edges' unexplained profiles in steps of (1, u) / (v, 1)
N_MIXNZ7 = 3  # 7x7 non-zero count tree: classic and two continuity contexts
Z_NZE = Z_SIGN7 + 49 * N_CPB * N_CPB  # energy bucket x neighbours' count bucket x luma guide, per node
Z_NZC = Z_NZE + N_CEB * 10 * N_GUIDE * 64  # how many of the 14 profiles reach half a step x neighbours' count bucket
N_MIXE_3 = N_MIXE + 1  # edge exponents: ULTRA's five and the slope prediction's
Z_EXPE = Z_NZC + 15 * 10 * 64  # edges: half-octave buckets of |slope prediction| (16) x bit length of the edge prediction (0..7)
Z_SIGNE = Z_EXPE + 128 * N_EDGE * EXP_SLOTS  # edge signs: the edge prediction's sign x the slope prediction's signed bucket
ULTRA3_PER_SET = Z_SIGNE + N_EDGE * 3 * N_CPB
# STRONGEST2 (level 6 since coder format 9): STRONGEST with ULTRA3's continuity contexts of the 7x7 and
# edge signs only, laid out like Z_SIGN7 and Z_SIGNE right after both sets' second contexts; its weights
# are ULTRA3's (ZW_S7, ZW_SE)
STRONGEST2 = 7
# HINTS_MIXED2 (levels 6-9 with a learned model since coder format 10): HINTS_MIXED on STRONGEST2, its
# sign contexts after both sets' third ones
HINTS_MIXED2 = 8
# ULTRA4 (levels 7-9 since coder format 11): ULTRA3 whose code_mixed_n decisions pass through two APMs
# (mixer.APM_SIZE; their tables end the weights array); code_plane codes it as ULTRA3, its contexts and
# their prior are ULTRA3's
ULTRA4 = 9
Y_SIGN7 = 0
Y_SIGNE = Y_SIGN7 + 49 * N_CPB * N_CPB
STRONGEST2_PER_SET = Y_SIGNE + N_EDGE * 3 * N_CPB
ZW_S7 = 0  # 7x7 signs: code_mixed3 sets (N_INPUTS3 weights) per position
ZW_SE = ZW_S7 + 49 * N_INPUTS3  # edge signs: code_mixed3 sets per edge coefficient
ZW_A7 = ZW_SE + N_EDGE * N_INPUTS3  # 7x7 exponents: as ULTRA's (UW_A7, UW_B7, UW_F7), with N_MIX7_3 contexts
ZW_B7 = ZW_A7 + EXP_SLOTS * (N_MIX7_3 + 1)
ZW_F7 = ZW_B7 + EXP_SLOTS * N_USEL * (N_MIX7_3 + 1)
ZW_AN = ZW_F7 + EXP_SLOTS * N_FINAL  # 7x7 count tree: first-layer sets per node, per node x energy bucket; second per node
ZW_BN = ZW_AN + 64 * (N_MIXNZ7 + 1)
ZW_FN = ZW_BN + 64 * N_CEB * (N_MIXNZ7 + 1)
ZW_AE = ZW_FN + 64 * N_FINAL  # edge exponents: as ULTRA's (UW_AE, UW_BE, UW_FE), with N_MIXE_3 contexts
ZW_BE = ZW_AE + EXP_SLOTS * (N_MIXE_3 + 1)
ZW_FE = ZW_BE + EXP_SLOTS * N_USEL * (N_MIXE_3 + 1)
ZW_PER_SET = (ZW_FE + EXP_SLOTS * N_FINAL + N_INPUTS3 - 1) // N_INPUTS3 * N_INPUTS3
ZWEIGHT_BASE = (UWEIGHT_BASE + 2 * UW_PER_SET + 2 * VW_PER_SET + N_INPUTS3 - 1) // N_INPUTS3 * N_INPUTS3

# the neighbour's and the current block's pixel rows extrapolated half a pixel to their shared edge
EDGE_OUT = 3 * ICOS[7] - ICOS[6]
EDGE_IN = 3 * ICOS[0] - ICOS[1]
# ULTRA3's edge slopes: a pixel line's gradient at the block's first pixel (against the second) and
# the neighbour's at its last (against the one before): across the left edge the row-0 coefficients,
# across the upper edge the column-0 ones, carry the slope (the DC, still unknown, carries none)
SLOPE_IN = ICOS[0] - ICOS[1]
SLOPE_OUT = ICOS[6] - ICOS[7]
# parts of a block for rangecoder.account (bits per part are measured, never coded)
PART_7X7, PART_EDGES, PART_DC = 0, 1, 2
SCRATCH_SIZE = 376  # code_plane's working arrays (see there)
ULTRA_FAMILY = (ULTRA, ULTRA2, ULTRA3, ULTRA4)  # code_plane's strengths given a 2-D scratch (see there)
assert N_EDGE <= 16 and max(N_MIX7_3, N_MIXE_3, N_MIXNZ, N_MIXDC) <= 8  # the sizes code_plane gives them
ENC_MARGIN = 1 << 15  # free output bytes kept before each block (a block needs < 4 KiB)
CPB_EDGES = np.array([1, 3, 6, 12, 24], np.int64)
CEB_EDGES = np.array([2, 4, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256], np.int64)  # quarter steps


@njit(cache=True, inline="always")
def _cp_bucket(p):
    """A continuity prediction (quarter steps) as one of N_CPB signed buckets (5: zero)."""
    a = abs(p)
    b = 0
    for t in CPB_EDGES:
        b += a >= t
    return 5 + b if p > 0 else 5 - b


@njit(cache=True, inline="always")
def _cp_bucket_of(a, b):
    """``_cp_bucket(div_round(a, b))`` for b > 0, without dividing: |a / b| rounded reaches t exactly
    when |a| + b // 2 >= t * b."""
    m = abs(a) + (b >> 1)
    c = 0
    for t in CPB_EDGES:
        c += m >= t * b
    return 5 + c if a > 0 else 5 - c


@njit(cache=True)
def bit_length(x):
    """Bits of x > 0 (0 for x <= 0); a table for the usual small values, a loop above."""
    if x < BITLEN_SMALL.size:
        return BITLEN_SMALL[max(x, 0)]
    n = 0
    while x > 0:
        x >>= 1
        n += 1
    return n


@njit(cache=True)
def div_round(a, b):
    """a / b rounded to nearest, halves away from zero (b > 0)."""
    if a >= 0:
        return (a + (b >> 1)) // b
    return -((-a + (b >> 1)) // b)


@njit(cache=True)
def clamp16(v):
    return min(max(v, -32768), 32767)


@njit(cache=True, inline="always")
def sign3(x):
    """0: zero, 1: positive, 2: negative."""
    return 1 if x > 0 else (2 if x < 0 else 0)


@njit(cache=True)
def half_octave(x, cap):
    """0 for 0, then two buckets per power of two (1, 2, 3, 4-5, 6-7, 8-11, ...), capped."""
    n = bit_length(x)
    if n <= 1:
        return n
    return min(2 * n - 2 + ((x >> (n - 2)) & 1), cap)


@njit(cache=True, inline="always")
def _wide_magnitude(nb, k):
    """A neighbour block's magnitude at 7x7 position k, twice, plus at its four neighbouring frequencies."""
    return (2 * abs(np.int64(nb[k])) + abs(np.int64(nb[k - 1])) + abs(np.int64(nb[k - 8]))
            + (abs(np.int64(nb[k + 1])) if k & 7 < 7 else 0) + (abs(np.int64(nb[k + 8])) if k < 56 else 0))


@njit(cache=True, inline="always")
def edge_pred(cont_a, cont_l, blk_a, blk_l, q, e, has_a, has_l):
    """Prediction in quarter steps of edge coefficient ``e`` (0-6: row 0, (0, e + 1); 7-13:
    column 0, (e - 6, 0)) from the neighbour across that edge, once the 7x7 part is known: what of
    the neighbour's profile at the shared edge this block's 7x7 coefficients leave unexplained
    (``cont_a``, ``cont_l``: code_plane's running profiles: the neighbour's line of dequantized
    coefficients weighted by EDGE_OUT, less this block's 7x7 ones weighted by EDGE_IN)."""
    if e < 7:  # coefficients (v, u) of column u = e + 1, across the edge with the block above
        k0, s, has_nb, other, has_other = e + 1, cont_a[e + 1], has_a, blk_l, has_l
    else:  # coefficients (v, u) of row v = e - 6, across the edge with the left block
        k0, s, has_nb, other, has_other = 8 * (e - 6), cont_l[e - 6], has_l, blk_a, has_a
    if not has_nb:
        return 4 * np.int64(other[k0]) if has_other else 0
    return div_round(4 * s, EDGE_IN[0] * q[k0]) if s else 0


@njit(cache=True, inline="always")
def code_int(rc, buf, model, recip, log, value, exp_ctx, exp_stride, sign_ctx, mant_ctx, cap,
             weights, exp_ctx2, wset, mant_rel_ctx, pred_pos, pred_neg, sign_ctx2, sign_wset, exp_ctx3, wset3,
             uctx, un, uwa, uwb, uwf, xs, ss, sign_ctx3, sign_wset3):
    """Code a signed integer: unary bit length (<= cap), sign, then the bits below the top one.

    The n-th unary decision uses context ``exp_ctx + n * exp_stride``: contexts of neighbouring
    positions lie side by side, so the zero flags of one block share a few cache lines. With
    ``exp_ctx2 >= 0`` it is mixed with context ``exp_ctx2 + n * exp_stride`` by weight set
    ``wset + n``; with ``exp_ctx3 >= 0`` too, all three are mixed by the 4-weight set ``wset3 + n``.
    With ``mant_rel_ctx >= 0`` the modelled mantissa bits also see where the
    predicted magnitude (quarter units; ``pred_neg`` when the value is negative) lies against
    each bit's threshold. With ``un > 0`` (ULTRA) the exponent mixes the ``un`` contexts
    ``uctx[i] + n * exp_stride`` instead (``mixer.code_mixed_n``; first-layer sets at ``uwa`` and
    ``uwb``, second-layer at ``uwf``, each advanced per slot; ``xs``, ``ss``: its scratch). With
    ``sign_ctx3 >= 0`` (ULTRA3) the sign mixes ``sign_ctx``, ``sign_ctx2`` and ``sign_ctx3`` by the
    4-weight set ``sign_wset3``.
    """
    mag = abs(value)
    e = bit_length(mag)
    n = 0
    while n < cap:
        if un > 0:
            bit = code_mixed_n(rc, buf, model, recip, log, uctx, un, n * exp_stride, weights, uwa + n * (un + 1),
                               uwb + n * (un + 1), uwf + n * N_FINAL, xs, ss, 1 if e > n else 0)
        elif exp_ctx3 >= 0:
            bit = code_mixed3(rc, buf, model, recip, log, exp_ctx + n * exp_stride, exp_ctx2 + n * exp_stride,
                              exp_ctx3 + n * exp_stride, weights, wset3 + n, 1 if e > n else 0)
        elif exp_ctx2 >= 0:
            bit = code_mixed(rc, buf, model, recip, log, exp_ctx + n * exp_stride, exp_ctx2 + n * exp_stride,
                             weights, wset + n, 1 if e > n else 0)
        else:
            bit = code_bit(rc, buf, model, recip, log, exp_ctx + n * exp_stride, 1 if e > n else 0)
        if bit == 0:
            break
        n += 1
    if n == 0:
        return 0
    if sign_ctx3 >= 0:
        neg = code_mixed3(rc, buf, model, recip, log, sign_ctx, sign_ctx2, sign_ctx3, weights, sign_wset3,
                          1 if value < 0 else 0)
    elif sign_ctx2 >= 0:
        neg = code_mixed(rc, buf, model, recip, log, sign_ctx, sign_ctx2, weights, sign_wset, 1 if value < 0 else 0)
    else:
        neg = code_bit(rc, buf, model, recip, log, sign_ctx, 1 if value < 0 else 0)
    m = 1
    raw = max(n - 1 - MODELLED_MANTISSA_BITS, 0)  # low bits are nearly uniform: coded raw
    if mant_rel_ctx >= 0:
        pred = pred_neg if neg else pred_pos
        base = mant_rel_ctx + n * 17 * MANT_REL
        for b in range(n - 2, raw - 1, -1):
            t = pred - (((2 * m + 1) << b) << 2)  # prediction - threshold of this bit
            step = np.int64(4) << b
            rel = 0 if t < -step else (1 if t < 0 else (2 if t < step else 3))
            m = (m << 1) | code_bit(rc, buf, model, recip, log, base + b * MANT_REL + rel, (mag >> b) & 1)
    else:
        base = mant_ctx + n * 17
        for b in range(n - 2, raw - 1, -1):
            m = (m << 1) | code_bit(rc, buf, model, recip, log, base + b, (mag >> b) & 1)
    while raw > 0:
        k = min(raw, 8)
        raw -= k
        m = (m << k) | code_raw(rc, buf, k, (mag >> raw) & ((1 << k) - 1))
    return -m if neg else m


@njit(cache=True)
def _grow(buf):
    bigger = np.empty(2 * buf.size + ENC_MARGIN, np.uint8)
    bigger[:buf.size] = buf
    return bigger


@njit(cache=True)
def _idct_edges(blk, q, px, half, tmp, nzk, n_nz):
    """px = 4096 * pixel values of the block without its DC term (integer separable IDCT), at
    the pixels the predictions read: rows 0, 1, 6, 7 and columns 0, 1, 6, 7.

    ``nzk[:n_nz]``: the positions of the block's non-zero AC coefficients (as they were coded), so
    no scan of all 64. The basis is symmetric (``ICOS[7 - x, u] = (-1)^u ICOS[x, u]``): even and
    odd frequencies are summed apart and give pixel x (row y) and pixel 7 - x (row 7 - y) as their
    sum and difference, half the multiplications of the plain transform and the same integers.
    """
    used = 0  # bit v: row v of half holds a sum
    for i in range(n_nz):
        k = nzk[i]
        v = k >> 3
        u = k & 7
        d = np.int64(blk[k]) * q[k]
        if not used >> v & 1:
            used |= 1 << v
            for x in range(8):
                half[v, x] = 0
        o = (u & 1) * 4  # even u: half[v, 0..3], odd u: half[v, 4..7]
        for x in range(4):
            half[v, o + x] += d * ICOS[x, u]
    if used == 0:
        for y in range(8):
            for x in range(8):
                px[y, x] = 0
        return
    for v in range(8):  # tmp[v, x] = the 1-D IDCT of row v at pixel x
        if used >> v & 1:
            for x in range(4):
                tmp[v, x] = half[v, x] + half[v, 4 + x]
                tmp[v, 7 - x] = half[v, x] - half[v, 4 + x]
    for y in range(4):
        for j in range(8 if y < 2 else 4):  # rows 0, 1 (and 7, 6) whole; rows 2, 3 (and 5, 4) at x = 0, 1, 6, 7
            x = j if y < 2 or j < 2 else j + 4
            ev = 0
            od = 0
            for v in range(0, 8, 2):
                if used >> v & 1:
                    ev += ICOS[y, v] * tmp[v, x]
            for v in range(1, 8, 2):
                if used >> v & 1:
                    od += ICOS[y, v] * tmp[v, x]
            px[y, x] = (ev + od) >> 12
            px[7 - y, x] = (ev - od) >> 12


@njit(cache=True, nogil=True)  # bands are coded in parallel threads
def code_plane(coefs, q, hints, use_hints, guide, use_guide, set_base, rc, out, model, recip, log,
               weights, strength, luma, prev, use_prev, scratch):
    """Encode (rc in encode mode) or decode into ``coefs`` one component.

    ``guide``: the 7x7 non-zero counts of an already coded plane (luma) mapped onto this one by
    relative position; ``luma``: that plane's coefficients (read by the strong models where
    use_guide); ``prev``: the previous plane's (read where use_prev). ``scratch``: SCRATCH_SIZE int64
    (shape (1, SCRATCH_SIZE) for the ULTRA family, ``ULTRA_FAMILY``; (SCRATCH_SIZE,) for the others),
    the per-block working arrays.
    ``strength``: 0 (classic), STRONG, STRONGEST, HINTS_MIXED or ULTRA; ``model`` then holds the second
    contexts after both sets' classic ones (and the third or ULTRA's extra ones after those), ``weights`` the
    mixer's weight sets. ``log``: the change log of ``model`` (``rangecoder.NO_LOG``: none).
    Returns (output buffer, this plane's 7x7 non-zero counts).
    """
    # views without reference counting: the arguments outlive this call; ``out`` is returned
    coefs, q, hints, rc, model, recip, log = (unowned(coefs), unowned(q), unowned(hints), unowned(rc),
                                              unowned(model), unowned(recip), unowned(log))
    guide, luma, prev = unowned(guide), unowned(luma), unowned(prev)  # their block views, per block
    buf = unowned(out)
    # the small working arrays are views of the caller's ``scratch``, so unowned too: an array of
    # this function's own is reference-counted (atomically) each time it is passed to an inlined
    # helper, which cost 25 % of level 1's encode time and 20 % of its decode time (measured)
    work = unowned(scratch.reshape(scratch.size))
    work[:] = 0
    px = work[0:64].reshape((8, 8))
    idct_half = work[64:128].reshape((8, 8))
    idct_tmp = work[128:192].reshape((8, 8))
    nzk = work[192:256]  # positions of the block's non-zero AC coefficients, as coded
    right = work[256:272].reshape((2, 8))  # columns 6, 7 of the left block
    colnz, rownz = work[272:280], work[280:288]
    epred = work[288:304]  # the edge predictions of the current block (STRONGEST)
    # per column u, the above block's column-frequency-u profile extrapolated half a pixel to the
    # shared edge (x2, pixels x 4096: its dequantized coefficients (v, u) x EDGE_OUT[v]), less what this
    # block's 7x7 coefficients of column u explain (EDGE_IN) as they are coded; per row v, the same
    # across the left edge. They give the edge predictions (``edge_pred``) and ULTRA3's and
    # STRONGEST2's continuity predictions of the 7x7 coefficients.
    cont_a = work[304:312]
    cont_l = work[312:320]
    uc7, uce, ucn, ucd = work[320:328], work[328:336], work[336:344], work[344:352]
    uxs, uss = work[352:360], work[360:368]
    rprof = work[368:376]  # the left block's row profiles at its right edge (``cont_l`` before its 7x7)
    # classic coders are given 2-D NO_WEIGHTS: strength is then 0 when compiling and every mixing
    # branch drops out of that coder (level 1: 7-8 % less encode time, measured)
    strength = strength if weights.ndim == 1 else 0
    # the ULTRA family's coders are given a 2-D ``scratch``: the other strong models' coder is then
    # compiled without ULTRA's code (sharing one kernel ran level 6 8 % slower since ULTRA4, measured)
    ultra_family = scratch.ndim == 2
    mix_w = unowned(weights.reshape(weights.size))
    decoding = rc[DECODING] != 0
    nby, nbx = coefs.shape[0], coefs.shape[1]
    nz = np.zeros((nby, nbx), np.int64)
    edge_nz = np.zeros((nby, nbx, 2), np.int64)  # non-zeros of the first row and first column
    bottom = np.zeros((nbx, 2, 8), np.int64)  # rows 6, 7 of the blocks above (pixels * 4096)
    dc_unit = (q[0] * ICOS[0, 0] * ICOS[0, 0]) >> 12  # one DC step in pixels * 4096
    dc_unit = max(dc_unit, 1)
    cset = set_base // CONTEXTS_PER_SET
    second_base = 2 * CONTEXTS_PER_SET + cset * SECOND_PER_SET
    wbase = cset * WEIGHT_SETS
    mixed_hints = use_hints and (strength == HINTS_MIXED or strength == HINTS_MIXED2)
    third_base = 2 * CONTEXTS_PER_SET + 2 * SECOND_PER_SET + cset * THIRD_PER_SET
    wbase3 = WEIGHT3_BASE + cset * WEIGHT_SETS3
    ultra = ultra_family and ULTRA <= strength <= ULTRA3  # ULTRA2 is ULTRA and more
    ultra2 = ultra_family and ULTRA2 <= strength <= ULTRA3  # ULTRA3 is ULTRA2 and more
    ultra3 = ultra_family and strength == ULTRA3
    cont_signs = ultra3 or strength == STRONGEST2 or strength == HINTS_MIXED2  # the signs see the continuity predictions
    zbase = 2 * CONTEXTS_PER_SET + 2 * SECOND_PER_SET + 2 * ULTRA_PER_SET + 2 * ULTRA2_PER_SET + cset * ULTRA3_PER_SET
    zwbase = ZWEIGHT_BASE + cset * ZW_PER_SET
    if ultra3:
        sign7_base, signe_base = zbase + Z_SIGN7, zbase + Z_SIGNE
    else:  # STRONGEST2's compact layout (unread by the other strengths), after the third contexts if any
        ybase = (2 * CONTEXTS_PER_SET + 2 * SECOND_PER_SET + (2 * THIRD_PER_SET if strength == HINTS_MIXED2 else 0)
                 + cset * STRONGEST2_PER_SET)
        sign7_base, signe_base = ybase + Y_SIGN7, ybase + Y_SIGNE
    vbase = 2 * CONTEXTS_PER_SET + 2 * SECOND_PER_SET + 2 * ULTRA_PER_SET + cset * ULTRA2_PER_SET
    vwbase = UWEIGHT_BASE + 2 * UW_PER_SET + cset * VW_PER_SET
    ubase = 2 * CONTEXTS_PER_SET + 2 * SECOND_PER_SET + cset * ULTRA_PER_SET
    uwbase = UWEIGHT_BASE + cset * UW_PER_SET
    slope = 0  # ULTRA3: the neighbour's slope across the edge not yet explained by this edge's values
    # each block's profiles are summed once, from its non-zero coefficients, when it is coded: the
    # column profiles at its lower edge (for the block below), the row profiles at its right edge
    # (``rprof``), its row 0's slope at its right edge and its column 0's at its lower edge
    bprof = np.zeros((nbx, 8), np.int64)
    bslope = np.zeros(nbx, np.int64)
    rslope = 0
    dcres = np.zeros((nby, nbx), np.int64)  # DC residuals (ULTRA2's contexts)
    for by in range(nby):
        for bx in range(nbx):
            if not decoding and rc[POS] + rc[CACHE_SIZE] + ENC_MARGIN > buf.size:
                out = _grow(out)
                buf = unowned(out)
            if decoding and rc[POS] > buf.size + OVERRUN_BYTES + (buf.size >> 2):
                rc[DAMAGED] = 1
            if rc[DAMAGED]:  # a damaged stream: stop here, the caller reports it
                return out, nz
            blk = coefs[by, bx]
            has_a = by > 0
            has_l = bx > 0
            blk_a = coefs[by - 1, bx] if has_a else blk
            blk_l = coefs[by, bx - 1] if has_l else blk
            blk_al = coefs[by - 1, bx - 1] if has_a and has_l else blk
            blk_ar = coefs[by - 1, bx + 1] if has_a and bx + 1 < nbx else blk_a
            blk_y = luma[by * luma.shape[0] // nby, bx * luma.shape[1] // nbx] if use_guide else blk
            blk_p = prev[by * prev.shape[0] // nby, bx * prev.shape[1] // nbx] if use_prev else blk
            for i in range(8):
                cont_a[i] = bprof[bx, i] if has_a else 0
                cont_l[i] = rprof[i] if has_l else 0

            # 1. non-zero count of the 7x7 part, 6-bit binary tree
            account(rc, PART_7X7)
            nz7 = 0
            if not decoding:
                for j in range(49):
                    if blk[ZIGZAG_7X7[j]] != 0:
                        nz7 += 1
            if has_a and has_l:
                nar = nz[by - 1, bx + 1] if bx + 1 < nbx else nz[by - 1, bx]
                navg = (3 * nz[by - 1, bx] + 3 * nz[by, bx - 1] + nz[by - 1, bx - 1] + nar + 4) >> 3
            elif has_a:
                navg = nz[by - 1, bx]
            elif has_l:
                navg = nz[by, bx - 1]
            else:
                navg = 0
            gb = 0
            if use_guide:
                gy0 = by * guide.shape[0] // nby
                gy1 = max((by + 1) * guide.shape[0] // nby, gy0 + 1)
                gx0 = bx * guide.shape[1] // nbx
                gx1 = max((bx + 1) * guide.shape[1] // nbx, gx0 + 1)
                gsum = 0
                for gy in range(gy0, gy1):
                    for gx in range(gx0, gx1):
                        gsum += guide[gy, gx]
                gb = 1 + GUIDE_BUCKET[min(gsum // ((gy1 - gy0) * (gx1 - gx0)), 49)]
            ctx = set_base + O_NZ + (NZ_AVG_BUCKET[navg] * N_GUIDE + gb) * 64
            node = 1
            if ultra3:
                energy = 0
                reach = 0
                for i in range(1, 8):  # (a zero profile, as behind an empty neighbour, needs no division)
                    a = div_round(4 * abs(cont_a[i]), EDGE_IN[1] * q[8 + i]) if cont_a[i] != 0 else 0
                    b = div_round(4 * abs(cont_l[i]), EDGE_IN[1] * q[8 * i + 1]) if cont_l[i] != 0 else 0
                    energy += a + b
                    reach += (a >= 2) + (b >= 2)
                eb = 0
                for t in CEB_EDGES:
                    eb += energy >= t
                ucn[0] = ctx
                ucn[1] = zbase + Z_NZE + ((eb * 10 + NZ_AVG_BUCKET[navg]) * N_GUIDE + gb) * 64
                ucn[2] = zbase + Z_NZC + (reach * 10 + NZ_AVG_BUCKET[navg]) * 64
                for i in range(6):
                    node = 2 * node + code_mixed_n(rc, buf, model, recip, log, ucn, N_MIXNZ7, node, mix_w,
                                                   zwbase + ZW_AN + node * (N_MIXNZ7 + 1),
                                                   zwbase + ZW_BN + (eb * 64 + node) * (N_MIXNZ7 + 1),
                                                   zwbase + ZW_FN + node * N_FINAL, uxs, uss, (nz7 >> (5 - i)) & 1)
            else:
                for i in range(6):
                    node = 2 * node + code_bit(rc, buf, model, recip, log, ctx + node,
                                               (nz7 >> (5 - i)) & 1)
            nz7 = min(node - 64, 49)
            nz[by, bx] = nz7

            # 2. the 7x7 coefficients
            left = nz7
            n_nz = 0
            msum = 0  # magnitudes of the 7x7 coefficients coded so far (ULTRA)
            for i in range(8):
                colnz[i] = 0
                rownz[i] = 0
            lb_base = set_base + O_EXP7
            for j in range(49):
                if left == 0:
                    break
                k = ZIGZAG_7X7[j]
                pm4 = 0  # weighted neighbours' magnitude of this coefficient, quarter steps
                if not use_hints or strength:
                    if has_a and has_l:
                        pm4 = (10 * abs(np.int64(blk_a[k])) + 10 * abs(np.int64(blk_l[k]))
                               + 4 * abs(np.int64(blk_al[k])) + 4 * abs(np.int64(blk_ar[k]))
                               + 4 * abs(np.int64(blk[k - 8])) * (k >= 16)
                               + 4 * abs(np.int64(blk[k - 1])) * (k & 7 > 1)) >> 3
                    elif has_a:
                        pm4 = 4 * abs(np.int64(blk_a[k]))
                    elif has_l:
                        pm4 = 4 * abs(np.int64(blk_l[k]))
                hb = min(np.int64(hints[by, bx, k]), N_MAG - 1) if use_hints else 0
                if use_hints and not mixed_hints:
                    pmb = hb
                else:
                    pmb = min(bit_length(pm4 >> 2), N_MAG - 1)
                ectx = lb_base + (NZ_LEFT_BUCKET[left] * N_MAG + pmb) * EXP_SLOTS * 49 + j
                sa = sign3(blk_a[k]) if has_a else 0
                sl = sign3(blk_l[k]) if has_l else 0
                ectx2 = -1
                sctx2 = -1
                sy = 0
                if strength and use_guide:
                    sy = sign3(blk_y[k]) * 3 + (sign3(blk_p[k]) if use_prev else 0)
                    sctx2 = second_base + S_SIGN7 + (j * N_SIGNS + sy) * 9 + sa * 3 + sl
                elif strength >= STRONGEST:  # luma: the signs of this block's lower neighbours
                    sy = (sign3(blk[k - 1]) if k & 7 > 1 else 0) * 3 + (sign3(blk[k - 8]) if k >= 16 else 0)
                    sctx2 = second_base + S_SIGN7 + (j * N_SIGNS + sy) * 9 + sa * 3 + sl
                ma = 0  # defined for every strength: the classic coder is compiled without the branch below
                ml = 0
                if strength >= STRONGEST:
                    if use_guide:
                        own = abs(np.int64(blk_y[k]))
                    else:
                        own = abs(np.int64(blk[k - 1])) * (k & 7 > 1) + abs(np.int64(blk[k - 8])) * (k >= 16)
                    ma = min(abs(np.int64(blk_a[k])), 3) if has_a else 0  # blk_a is blk when absent
                    ml = min(abs(np.int64(blk_l[k])), 3) if has_l else 0
                    ectx2 = second_base + S_EXP7 + j + ((ma * 4 + ml) * 4 + min(own, 3)) * EXP_SLOTS * 49
                un = N_MIX7 if ultra else 0  # contexts mixed (0: not ULTRA)
                uwb = 0
                if ultra:
                    uc7[0], uc7[1] = ectx, ectx2
                    b = NZ7_BUCKET[nz7]
                    uc7[2] = ubase + U_NZ7 + j + b * EXP_SLOTS * 49
                    wide = (_wide_magnitude(blk_a, k) if has_a else 0) + (_wide_magnitude(blk_l, k) if has_l else 0)
                    b = half_octave(wide, 15) * 4 + min(left, 4) - 1
                    uc7[3] = ubase + U_WIDE + j + b * EXP_SLOTS * 49
                    mal = min(ma + ml, 3)
                    if use_guide:
                        b = (min(abs(np.int64(blk_y[k])), 3) * 4 + (min(abs(np.int64(blk_p[k])), 3) if use_prev else 0)) * 4 + mal
                    else:
                        b = ((min(abs(np.int64(blk[k - 1])), 3) if k & 7 > 1 else 0) * 4
                             + (min(abs(np.int64(blk[k - 8])), 3) if k >= 16 else 0)) * 4 + mal
                    uc7[4] = ubase + U_NB + j + b * EXP_SLOTS * 49
                    b = (min(left, 9) - 1) * 12 + half_octave(msum, 11)
                    uc7[5] = ubase + U_LEFT + j + b * EXP_SLOTS * 49
                    uwb = uwbase + UW_B7 + NZ_LEFT_BUCKET[left] * EXP_SLOTS * (N_MIX7 + 1)
                uwa, uwf = uwbase + UW_A7, uwbase + UW_F7
                sctx3 = -1
                if cont_signs:  # the predictions' sign buckets, without dividing
                    ba = _cp_bucket_of(4 * cont_a[k & 7], EDGE_IN[k >> 3] * q[k]) if has_a else 5
                    bl = _cp_bucket_of(4 * cont_l[k >> 3], EDGE_IN[k & 7] * q[k]) if has_l else 5
                    sctx3 = sign7_base + (j * N_CPB + ba) * N_CPB + bl
                if ultra3:  # and their magnitudes for the exponent
                    pa = div_round(4 * cont_a[k & 7], EDGE_IN[k >> 3] * q[k]) if has_a and cont_a[k & 7] != 0 else 0
                    pl = div_round(4 * cont_l[k >> 3], EDGE_IN[k & 7] * q[k]) if has_l and cont_l[k >> 3] != 0 else 0
                    un = N_MIX7_3
                    uc7[6] = zbase + Z_EXP7 + j + (half_octave(abs(pa) + abs(pl), 15) * 4 + min(left, 4) - 1) * EXP_SLOTS * 49
                    uwa, uwf = zwbase + ZW_A7, zwbase + ZW_F7
                    uwb = zwbase + ZW_B7 + NZ_LEFT_BUCKET[left] * EXP_SLOTS * (N_MIX7_3 + 1)
                v = code_int(rc, buf, model, recip, log, np.int64(blk[k]), ectx, 49,
                             set_base + O_SIGN7 + j * 9 + sa * 3 + sl,
                             set_base + O_MANT7 + j * MANT_SIZE, 16, mix_w, ectx2, wbase + W_EXP7,
                             second_base + S_MANT7 + j * MANT_SIZE * MANT_REL if strength else -1, pm4, pm4,
                             sctx2, wbase + W_SIGN7 + sy,
                             third_base + T_EXP7 + j + (hb * 4 + min(left, 4) - 1) * EXP_SLOTS * 49 if mixed_hints else -1,
                             wbase3 + X_EXP7, uc7, un, uwa, uwb, uwf, uxs, uss, sctx3, (zwbase + ZW_S7) // N_INPUTS3 + j)
                if v != 0:
                    d = v * q[k]  # what is left to explain across each edge
                    cont_a[k & 7] -= d * EDGE_IN[k >> 3]
                    cont_l[k >> 3] -= d * EDGE_IN[k & 7]
                    msum += abs(v)
                    left -= 1
                    nzk[n_nz] = k
                    n_nz += 1
                    colnz[k & 7] += 1
                    rownz[k >> 3] += 1
                    if decoding:
                        blk[k] = clamp16(v)
                        rc[DAMAGED] |= blk[k] != v

            # 3. first row (from the block above) and first column (from the left block):
            account(rc, PART_EDGES)
            # each edge's non-zero count first (3-bit tree), then its values while non-zeros remain
            nzb = NZ_COARSE_BUCKET[nz7]
            edge_left = 0
            for e in range(N_EDGE):
                if e == 0 or e == 7:
                    kind = e // 7
                    if cont_signs:  # row 0 (e 0-6) sees the left block's row 0, column 0 the above block's column 0
                        slope = (rslope if has_l else 0) if kind == 0 else (bslope[bx] if has_a else 0)
                    cnt = 0
                    if not decoding:
                        for i in range(1, 8):
                            if blk[i if kind == 0 else 8 * i] != 0:
                                cnt += 1
                    if has_a and has_l:
                        navg = (edge_nz[by - 1, bx, kind] + edge_nz[by, bx - 1, kind] + 1) >> 1
                    elif has_a:
                        navg = edge_nz[by - 1, bx, kind]
                    elif has_l:
                        navg = edge_nz[by, bx - 1, kind]
                    else:
                        navg = 0
                    ctx = (set_base + O_EDGE_NZ
                           + (((kind * 4 + nzb) * 5 + EDGE_NZ_BUCKET[navg]) * N_GUIDE + gb) * 8)
                    node = 1
                    if strength >= STRONGEST:
                        # all 7 predictions first: how many round to non-zero, and their total
                        n_pred = 0
                        total = 0
                        for i in range(e, e + 7):
                            epred[i] = edge_pred(cont_a, cont_l, blk_a, blk_l, q, i, has_a, has_l)
                            n_pred += abs(epred[i]) >= 2
                            total += abs(epred[i])
                        ctx2 = (second_base + S_EDGE_NZ
                                + ((kind * 8 + n_pred) * N_PSUM + half_octave(total >> 2, N_PSUM - 1)) * 8)
                        if ultra2:
                            ucn[0], ucn[1] = ctx, ctx2
                            lines = 0
                            last = 0
                            for i in range(1, 8):
                                if (colnz[i] if kind == 0 else rownz[i]) != 0:
                                    lines += 1
                                    last = i
                            ucn[2] = vbase + V_NZL + (kind * 64 + lines * 8 + last) * 8
                            na = edge_nz[by - 1, bx, kind] if has_a else 0
                            nl = edge_nz[by, bx - 1, kind] if has_l else 0
                            ucn[3] = vbase + V_NZN + (kind * 64 + na * 8 + nl) * 8
                            ucn[4] = vbase + V_NZP + ((kind * N_UNZ7 + NZ7_BUCKET[nz7]) * 8 + n_pred) * 8
                            for i in range(3):
                                node = 2 * node + code_mixed_n(rc, buf, model, recip, log, ucn, N_MIXNZ, node, mix_w,
                                                               vwbase + VW_AN + (kind * 8 + node) * (N_MIXNZ + 1),
                                                               vwbase + VW_BN + ((kind * 4 + nzb) * 8 + node) * (N_MIXNZ + 1),
                                                               vwbase + VW_FN + (kind * 8 + node) * N_FINAL, uxs, uss,
                                                               (cnt >> (2 - i)) & 1)
                        else:
                            for i in range(3):
                                node = 2 * node + code_mixed(rc, buf, model, recip, log, ctx + node, ctx2 + node, mix_w,
                                                             wbase + W_EDGE_NZ + kind * 3 + i, (cnt >> (2 - i)) & 1)
                    else:
                        for i in range(3):
                            node = 2 * node + code_bit(rc, buf, model, recip, log, ctx + node,
                                                       (cnt >> (2 - i)) & 1)
                    edge_left = node - 8
                    edge_nz[by, bx, kind] = edge_left
                if edge_left == 0:
                    continue
                pred = epred[e] if strength >= STRONGEST else edge_pred(cont_a, cont_l, blk_a, blk_l, q, e, has_a, has_l)
                if e < 7:  # row 0, coefficient (0, u)
                    k = e + 1
                    line = colnz[k]
                else:  # column 0, coefficient (v, 0)
                    k = 8 * (e - 6)
                    line = rownz[e - 6]
                hb = min(np.int64(hints[by, bx, k]), N_MAG - 1) if use_hints else 0
                if use_hints and not mixed_hints:
                    pb = hb
                else:
                    pb = min(bit_length(abs(pred)), N_MAG - 1)
                ps = 0 if pred < 0 else (1 if pred == 0 else 2)
                nmag = 0
                if has_a:
                    nmag += abs(np.int64(blk_a[k]))
                if has_l:
                    nmag += abs(np.int64(blk_l[k]))
                nmb = min(bit_length(nmag), 2)
                nsg = 0
                if e < 7 and has_l:
                    nsg = sign3(blk_l[k])
                elif e >= 7 and has_a:
                    nsg = sign3(blk_a[k])
                lb = min(edge_left, 4) - 1
                ectx = (set_base + O_EXPE + (((pb * 3 + min(line, 2)) * 4 + lb) * 3 + nmb) * EXP_SLOTS * N_EDGE
                        + e)
                sctx2 = -1
                sy = 0
                if strength and use_guide:
                    sy = sign3(blk_y[k]) * 3 + (sign3(blk_p[k]) if use_prev else 0)
                    sctx2 = second_base + S_SIGNE + ((e * N_SIGNS + sy) * 3 + ps) * 3 + nsg
                elif strength >= STRONGEST:  # luma: the signs of the next row/column and the previous edge value
                    if e < 7:
                        sy = sign3(blk[k + 8]) * 3 + (sign3(blk[k - 1]) if k > 1 else 0)
                    else:
                        sy = sign3(blk[k + 1]) * 3 + (sign3(blk[k - 8]) if k > 8 else 0)
                    sctx2 = second_base + S_SIGNE + ((e * N_SIGNS + sy) * 3 + ps) * 3 + nsg
                ectx2 = -1
                if strength:
                    ectx2 = (second_base + S_EXPE + e
                             + (half_octave(abs(pred), N_PF - 1) * N_NBE + min(nmag, N_NBE - 1)) * EXP_SLOTS * N_EDGE)
                un = N_MIXE if ultra else 0  # contexts mixed (0: not ULTRA)
                uwb = 0
                if ultra:
                    uce[0], uce[1] = ectx, ectx2
                    b = (min(edge_left, 7) - 1) * 4 + min(pb, 3)
                    uce[2] = ubase + U_ELEFT + e + b * EXP_SLOTS * N_EDGE
                    if e < 7:
                        b = ((min(abs(np.int64(blk[k - 1])), 3) if k > 1 else 0) * 4
                             + min(abs(np.int64(blk[k + 8])), 3)) * 4 + min(abs(np.int64(blk[k + 16])), 3)
                    else:
                        b = ((min(abs(np.int64(blk[k - 8])), 3) if k > 8 else 0) * 4
                             + min(abs(np.int64(blk[k + 1])), 3)) * 4 + min(abs(np.int64(blk[k + 2])), 3)
                    uce[3] = ubase + U_EIN + e + b * EXP_SLOTS * N_EDGE
                    b = (((min(abs(np.int64(blk_a[k])), 3) if has_a else 0) * 4
                          + (min(abs(np.int64(blk_l[k])), 3) if has_l else 0)) * 4
                         + (min(abs(np.int64(blk_y[k])), 3) if use_guide else lb))
                    uce[4] = ubase + U_ENB + e + b * EXP_SLOTS * N_EDGE
                    uwb = uwbase + UW_BE + (lb * 3 + min(line, 2)) * EXP_SLOTS * (N_MIXE + 1)
                uwa, uwf = uwbase + UW_AE, uwbase + UW_FE
                sctx3 = -1
                i = k if e < 7 else k >> 3  # the coefficient's frequency along its line
                if cont_signs:
                    bs = _cp_bucket_of(4 * slope, SLOPE_IN[i] * q[k]) if (has_l if e < 7 else has_a) else 5
                    sctx3 = signe_base + (e * 3 + ps) * N_CPB + bs
                if ultra3:
                    psl = div_round(4 * slope, SLOPE_IN[i] * q[k]) if slope != 0 and (has_l if e < 7 else has_a) else 0
                    un = N_MIXE_3
                    uce[5] = zbase + Z_EXPE + e + (half_octave(abs(psl), 15) * 8 + min(pb, 7)) * EXP_SLOTS * N_EDGE
                    uwa, uwf = zwbase + ZW_AE, zwbase + ZW_FE
                    uwb = zwbase + ZW_BE + (lb * 3 + min(line, 2)) * EXP_SLOTS * (N_MIXE_3 + 1)
                val = code_int(rc, buf, model, recip, log, np.int64(blk[k]), ectx, N_EDGE,
                               set_base + O_SIGNE + ((e * 3 + ps) * N_MAG + pb) * 3 + nsg,
                               set_base + O_MANTE + e * MANT_SIZE, 16, mix_w, ectx2, wbase + W_EXPE,
                               second_base + S_MANTE + e * MANT_SIZE * MANT_REL if strength else -1,
                               max(pred, 0), max(-pred, 0), sctx2, wbase + W_SIGNE + sy,
                               third_base + T_EXPE + e + (hb * N_MAG + pb) * EXP_SLOTS * N_EDGE if mixed_hints else -1,
                               wbase3 + X_EXPE, uce, un, uwa, uwb, uwf, uxs, uss, sctx3, (zwbase + ZW_SE) // N_INPUTS3 + e)
                if val != 0:
                    if cont_signs:
                        slope -= val * q[k] * SLOPE_IN[k if e < 7 else k >> 3]
                    edge_left -= 1
                    nzk[n_nz] = k
                    n_nz += 1
                    if decoding:
                        blk[k] = clamp16(val)
                        rc[DAMAGED] |= blk[k] != val

            # 4. DC from pixel continuity
            account(rc, PART_DC)
            _idct_edges(blk, q, px, idct_half, idct_tmp, nzk, n_nz)
            n_est = 0
            total = 0
            lo = np.int64(1) << 62
            hi = -lo
            if has_l:
                for y in range(8):  # both sides extrapolated half a pixel to the shared edge, x2
                    est = 3 * right[1, y] - right[0, y] - 3 * px[y, 0] + px[y, 1]
                    total += est
                    lo = min(lo, est)
                    hi = max(hi, est)
                n_est += 8
            total_l = total  # the left estimates' sum and spread, and the above ones' range (ULTRA2)
            spread_l = hi - lo
            lo_a = np.int64(1) << 62
            hi_a = -lo_a
            if has_a:
                for x in range(8):
                    est = 3 * bottom[bx, 1, x] - bottom[bx, 0, x] - 3 * px[0, x] + px[1, x]
                    total += est
                    lo = min(lo, est)
                    hi = max(hi, est)
                    lo_a = min(lo_a, est)
                    hi_a = max(hi_a, est)
                n_est += 8
            if n_est:
                pred = clamp16(div_round(total, 2 * n_est * dc_unit))
                sb = min(bit_length(2 * (hi - lo) // dc_unit), N_MAG - 1)
                spread4 = (hi - lo) // dc_unit  # half the estimates' spread, in quarter steps
            else:
                pred = 0
                sb = N_MAG
                spread4 = 0
            dctx2 = -1
            dctx3 = -1
            if mixed_hints:
                hb = min(np.int64(hints[by, bx, 0]), N_MAG)
                dctx2 = third_base + T_DC2 + (sb * (N_MAG + 1) + hb) * EXP_SLOTS
                dctx3 = third_base + T_DC3 + hb * EXP_SLOTS
            elif use_hints:
                sb = min(np.int64(hints[by, bx, 0]), N_MAG)
            un = 0  # contexts mixed (0: not ULTRA2)
            uwb = 0
            dsctx = set_base + O_SIGNDC + sb
            if ultra2:
                un = N_MIXDC
                ucd[0] = set_base + O_EXPDC + sb * EXP_SLOTS
                ra = min(bit_length(abs(dcres[by - 1, bx])), 7) if has_a else 0
                rl = min(bit_length(abs(dcres[by, bx - 1])), 7) if has_l else 0
                ucd[1] = vbase + V_DCN + (ra * 8 + rl) * EXP_SLOTS
                ucd[2] = vbase + V_DCZ + (NZ7_BUCKET[nz7] * (N_MAG + 1) + sb) * EXP_SLOTS
                dis = 0
                side = 0
                tight = 0
                if has_a and has_l:
                    d = total_l - (total - total_l)
                    dis = 1 + half_octave(abs(d) // (16 * dc_unit), 10)
                    side = 1 if d > 0 else (2 if d < 0 else 0)
                    spread_a = hi_a - lo_a
                    tight = 1 if 2 * spread_l < spread_a else (2 if 2 * spread_a < spread_l else 0)
                ucd[3] = vbase + V_DCD + (dis * (N_MAG + 1) + sb) * EXP_SLOTS
                uwb = vwbase + VW_BD + sb * EXP_SLOTS * (N_MIXDC + 1)
                sgn_a = sign3(dcres[by - 1, bx]) if has_a else 0
                sgn_l = sign3(dcres[by, bx - 1]) if has_l else 0
                dsctx = vbase + V_DCS + sb * 81 + ((side * 3 + tight) * 3 + sgn_a) * 3 + sgn_l
            r = code_int(rc, buf, model, recip, log, np.int64(blk[0]) - pred,
                         set_base + O_EXPDC + sb * EXP_SLOTS, 1, dsctx,
                         set_base + O_MANTDC, 17, mix_w, dctx2, 0,
                         second_base + S_MANTDC if strength else -1, spread4, spread4, -1, 0, dctx3, wbase3 + X_DC,
                         ucd, un, vwbase + VW_AD, uwb, vwbase + VW_FD, uxs, uss, -1, 0)
            dcres[by, bx] = r
            if decoding:
                blk[0] = clamp16(pred + r)
                rc[DAMAGED] |= blk[0] != pred + r
            dc_px = (np.int64(blk[0]) * q[0] * ICOS[0, 0] * ICOS[0, 0]) >> 12
            for i in range(8):  # this block's profiles (see bprof)
                bprof[bx, i] = 0
                rprof[i] = 0
            for t in range(n_nz):
                k = nzk[t]
                d = np.int64(blk[k]) * q[k]
                bprof[bx, k & 7] += d * EDGE_OUT[k >> 3]
                rprof[k >> 3] += d * EDGE_OUT[k & 7]
            if cont_signs:  # and slopes (only the continuity sign contexts read them)
                rslope = np.int64(blk[0]) * q[0] * SLOPE_OUT[0]
                bslope[bx] = rslope
                for t in range(n_nz):
                    k = nzk[t]
                    if k < 8:
                        rslope += np.int64(blk[k]) * q[k] * SLOPE_OUT[k]
                    elif k & 7 == 0:
                        bslope[bx] += np.int64(blk[k]) * q[k] * SLOPE_OUT[k >> 3]
            for i in range(8):
                bottom[bx, 0, i] = px[6, i] + dc_px
                bottom[bx, 1, i] = px[7, i] + dc_px
                right[0, i] = px[i, 6] + dc_px
                right[1, i] = px[i, 7] + dc_px
    account(rc, PART_7X7)
    return out, nz
