"""Fit score = mean + branch effect + shopper effect + noise, with crossed random effects.

Why a mixed model: a branch seen on three visits by three shoppers of differing leniency has a
noisy raw mean. Treating branch and shopper effects as random, with variances estimated from the
brand's own data by REML, shrinks each branch towards the brand mean by exactly as much as its
audits warrant and takes out each shopper's leniency at the same time.

How (docs/benchmarking.md has the formulas): with the variance ratios held in the relative
Cholesky factor Lambda = diag(lambda_branch, lambda_shopper), Henderson's mixed-model equations
become

    A = [[Lambda Z'Z Lambda + I, Lambda Z'X], [X'Z Lambda, X'X]],  A theta = [Lambda Z'y; X'y]

and the profiled REML deviance is log|A| + (n - 1)(1 + log(2 pi r2 / (n - 1))) with r2 the
penalised residual sum of squares. Every audit has exactly one branch, so the branch-by-branch
block of A is diagonal; the larger factor is eliminated in closed form and the Schur complement
on the smaller factor plus the intercept (about 1,000 x 1,000 for a big brand) is factorised
densely (sparse LU when it is larger). This is what keeps a 250,000-audit fit to a few seconds,
and it stays finite on the boundary lambda = 0, so a zero variance estimate needs no special
case. The two lambdas are optimised with L-BFGS-B on lambda >= 0.

The same factorisation gives the exact conditional (posterior) variance of any linear
combination of the mean and the effects (`contrast_variance`) and exact draws from their joint
normal posterior (`draw`), which the ranking and aggregation modules use.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import scipy.linalg as sla
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from scipy.optimize import minimize

DENSE_LIMIT = 4000
"""The largest reduced system (smaller factor's levels + 1) factorised densely."""

_LAMBDA_MIN = 1e-5
_LAMBDA_MAX = 1e3
_LOG_2PI = float(np.log(2 * np.pi))


@dataclass(frozen=True, eq=False)
class CrossedFit:
    """The fitted model, in score points; effects are BLUPs (posterior means).

    `*_var` arrays are conditional variances (prediction error variances) of the estimate
    minus the truth; `fair_var[j]` is that of mean + branch effect j, the fair score.
    """

    intercept: float
    intercept_var: float
    sigma2_branch: float
    sigma2_shopper: float
    sigma2_residual: float
    branch_effects: np.ndarray
    shopper_effects: np.ndarray
    branch_effect_var: np.ndarray
    shopper_effect_var: np.ndarray
    fair_var: np.ndarray
    branch_counts: np.ndarray
    shopper_counts: np.ndarray
    deviance: float
    notes: tuple[str, ...]
    posterior: _Posterior = field(repr=False)

    @property
    def fair_scores(self) -> np.ndarray:
        return self.intercept + self.branch_effects

    def contrast_variance(
        self,
        branch: sp.spmatrix | None,
        shopper: sp.spmatrix | None,
        intercept: np.ndarray,
    ) -> np.ndarray:
        """Posterior variances of k linear combinations of the effects and the mean.

        `branch` is (n_branches x k), `shopper` (n_shoppers x k), `intercept` (k,): column c
        is the combination sum_j branch[j, c] b_j + sum_k shopper[k, c] s_k + intercept[c] mu.
        """
        return self.posterior.contrast_variance(branch, shopper, intercept)

    def draw_fair(self, branches: np.ndarray, draws: int, rng: np.random.Generator) -> np.ndarray:
        """`draws` joint posterior draws of mean + branch effect for `branches`: (len x draws)."""
        return self.posterior.draw_fair(branches, draws, rng)


def fit_crossed(
    y: np.ndarray,
    branch: np.ndarray,
    shopper: np.ndarray,
    *,
    n_branches: int | None = None,
    n_shoppers: int | None = None,
    ratios: tuple[float, float] | None = None,
    dense_limit: int = DENSE_LIMIT,
) -> CrossedFit:
    """Fit the crossed random-effects model by REML.

    `y` are scores, `branch` and `shopper` integer codes (0..levels-1) of each audit; levels
    with no audit get the prior (effect 0, variance the fitted variance). `ratios` fixes the
    variance ratios (branch/residual, shopper/residual) instead of estimating them, which tests
    use. A factor that cannot be told from noise (fewer than two levels with audits, or no level
    with two audits) is fixed at variance zero, and `notes` says so.
    """
    y = np.asarray(y, dtype=float)
    branch = np.asarray(branch, dtype=np.int64)
    shopper = np.asarray(shopper, dtype=np.int64)
    n = y.size
    if not (branch.size == shopper.size == n):
        raise ValueError("y, branch and shopper must have the same length")
    if n == 0:
        raise ValueError("no audits to fit")
    if not np.all(np.isfinite(y)):
        raise ValueError("scores must be finite")
    q_b = int(n_branches if n_branches is not None else branch.max() + 1)
    q_s = int(n_shoppers if n_shoppers is not None else shopper.max() + 1)
    if branch.min() < 0 or shopper.min() < 0 or branch.max() >= q_b or shopper.max() >= q_s:
        raise ValueError("branch and shopper codes must lie in 0..levels-1")

    system = _System.build(y, branch, shopper, q_b, q_s, dense_limit)
    if ratios is not None:
        lam = np.sqrt(np.maximum(np.asarray(ratios, dtype=float), 0.0))
        return _finish(system, lam, [])
    notes: list[str] = []
    free = [True, True]
    for k, name in enumerate(("branch", "shopper")):
        counts = system.counts[k]
        if np.count_nonzero(counts) < 2:
            free[k] = False
            notes.append(f"{name} variance fixed at 0: fewer than two {name}es with audits")
        elif counts.max() < 2:
            free[k] = False
            notes.append(
                f"{name} variance fixed at 0: no {name} has two audits, so its effect "
                "cannot be told from noise"
            )
    if n < 2:
        notes.append("one audit: no variance can be estimated")
        free = [False, False]
    elif system.yty - system.ysum**2 / n <= 1e-12 * max(system.yty, 1.0):
        notes.append("all scores equal: every variance is 0")
        free = [False, False]
    lam = _optimise(system, free) if any(free) else np.zeros(2)
    for k, name in enumerate(("branch", "shopper")):
        if free[k] and lam[k] == 0.0:
            notes.append(f"{name} variance estimated at the boundary 0")
    return _finish(system, lam, notes)


@dataclass(frozen=True, eq=False)
class _System:
    """Sufficient statistics of the data for the mixed-model equations."""

    n: int
    counts: tuple[np.ndarray, np.ndarray]
    sums: tuple[np.ndarray, np.ndarray]
    cross: sp.csr_matrix  # big x small counts
    big: int  # which factor (0 branch, 1 shopper) is eliminated in closed form
    ysum: float
    yty: float
    dense_limit: int

    @classmethod
    def build(cls, y, branch, shopper, q_b, q_s, dense_limit) -> _System:
        counts = (
            np.bincount(branch, minlength=q_b).astype(float),
            np.bincount(shopper, minlength=q_s).astype(float),
        )
        sums = (np.bincount(branch, y, minlength=q_b), np.bincount(shopper, y, minlength=q_s))
        big = 0 if q_b >= q_s else 1
        rows, cols, shape = (
            (branch, shopper, (q_b, q_s)) if big == 0 else (shopper, branch, (q_s, q_b))
        )
        cross = sp.csr_matrix((np.ones(y.size), (rows, cols)), shape=shape)
        cross.sum_duplicates()
        return cls(
            n=y.size,
            counts=counts,
            sums=sums,
            cross=cross,
            big=big,
            ysum=float(y.sum()),
            yty=float(y @ y),
            dense_limit=dense_limit,
        )


@dataclass(frozen=True, eq=False)
class _Factor:
    """The mixed-model equations at one lambda, factorised: A = L L' with L block-triangular."""

    lam_big: float
    lam_small: float
    d: np.ndarray  # diagonal big block
    b: sp.csr_matrix  # big x (small + 1) off-diagonal block
    schur: np.ndarray | sp.csc_matrix
    chol: np.ndarray | None  # upper Cholesky of the dense Schur complement
    lu: spla.SuperLU | None
    logdet: float
    theta_big: np.ndarray
    theta_small: np.ndarray  # small-factor effects then the intercept, scaled
    r2: float

    @cached_property
    def schur_inverse(self) -> np.ndarray:
        """S^-1 from the dense Schur complement's Cholesky factor (LAPACK potri, a third of
        the work of solving S X = I), for the REML gradient and the posterior variances."""
        inverse, info = sla.lapack.dpotri(self.chol, lower=0)
        if info != 0:
            raise np.linalg.LinAlgError("the Schur complement could not be inverted")
        return np.triu(inverse) + np.triu(inverse, 1).T

    def solve_schur(self, rhs: np.ndarray) -> np.ndarray:
        if self.chol is not None:
            return sla.cho_solve((self.chol, False), rhs)
        return self.lu.solve(rhs)

    def whiten(self, rhs: np.ndarray) -> np.ndarray:
        """R^-T rhs for S = R'R, so that ||whiten(a)||^2 = a' S^-1 a."""
        if self.chol is not None:
            return sla.solve_triangular(self.chol, rhs, trans="T", lower=False)
        return self.lu_whiten(rhs)

    def lu_whiten(self, rhs: np.ndarray) -> np.ndarray:
        # SuperLU in symmetric mode with no pivoting: Pr S Pc = L U with U = diag(u) L'.
        lower = self.lu.L.tocsr()
        permuted = np.empty_like(rhs)
        permuted[self.lu.perm_r] = rhs
        solved = spla.spsolve_triangular(lower, permuted, lower=True)
        scale = np.sqrt(self.lu.U.diagonal())
        return solved / (scale if solved.ndim == 1 else scale[:, None])

    def unwhiten(self, z: np.ndarray) -> np.ndarray:
        """R^-1 z: a draw with covariance S^-1 when z is standard normal."""
        if self.chol is not None:
            return sla.solve_triangular(self.chol, z, lower=False)
        scale = np.sqrt(self.lu.U.diagonal())
        upper = self.lu.L.T.tocsr()
        solved = spla.spsolve_triangular(upper, z / scale[:, None], lower=False)
        return solved[self.lu.perm_r]


def _factorise(system: _System, lam: np.ndarray) -> _Factor:
    lam_big = float(lam[system.big])
    lam_small = float(lam[1 - system.big])
    n_big, n_small = system.counts[system.big], system.counts[1 - system.big]
    s_big, s_small = system.sums[system.big], system.sums[1 - system.big]
    d = lam_big**2 * n_big + 1.0
    b = sp.hstack(
        [system.cross * (lam_big * lam_small), sp.csr_matrix((lam_big * n_big)[:, None])],
        format="csr",
    )
    w = lam_big**2 / d
    m = n_small.size + 1
    scaled = system.cross.multiply(w[:, None]).tocsr()
    cross_w = (system.cross.T @ scaled).tocsr()  # small x small: C' diag(w) C
    col = system.cross.T @ (w * n_big)  # C' diag(w) n_big
    diag_e = np.append(lam_small**2 * n_small + 1.0, float(system.n))
    off = lam_small * n_small - lam_small * col
    corner = float(system.n - np.sum(w * n_big**2))
    rhs_big = lam_big * s_big
    rhs_small = np.append(lam_small * s_small, system.ysum)
    reduced_rhs = rhs_small - b.T @ (rhs_big / d)

    if m <= system.dense_limit:
        schur = -(lam_small**2) * cross_w.toarray()
        schur[np.diag_indices(m - 1)] += diag_e[:-1]
        schur = np.pad(schur, ((0, 1), (0, 1)))
        schur[-1, :-1] = off
        schur[:-1, -1] = off
        schur[-1, -1] = corner
        chol = sla.cholesky(schur, lower=False, check_finite=False)
        logdet_s = 2.0 * float(np.sum(np.log(np.diag(chol))))
        lu = None
        theta_small = sla.cho_solve((chol, False), reduced_rhs)
    else:
        top = sp.diags(diag_e[:-1]) - (lam_small**2) * cross_w
        schur = sp.bmat(
            [
                [top, sp.csr_matrix(off[:, None])],
                [sp.csr_matrix(off[None, :]), sp.csr_matrix([[corner]])],
            ],
            format="csc",
        )
        lu = spla.splu(
            schur,
            permc_spec="MMD_AT_PLUS_A",
            diag_pivot_thresh=0.0,
            options={"SymmetricMode": True},
        )
        chol = None
        logdet_s = float(np.sum(np.log(lu.U.diagonal())))
        theta_small = lu.solve(reduced_rhs)
    theta_big = (rhs_big - b @ theta_small) / d
    r2 = system.yty - float(theta_big @ rhs_big) - float(theta_small @ rhs_small)
    return _Factor(
        lam_big=lam_big,
        lam_small=lam_small,
        d=d,
        b=b,
        schur=schur,
        chol=chol,
        lu=lu,
        logdet=float(np.sum(np.log(d))) + logdet_s,
        theta_big=theta_big,
        theta_small=theta_small,
        r2=max(r2, 0.0),
    )


def _deviance(system: _System, factor: _Factor) -> float:
    """The REML deviance (-2 log restricted likelihood) profiled over the residual variance."""
    dof = system.n - 1
    if factor.r2 <= 0.0:
        return -np.inf
    return factor.logdet + dof * (1.0 + _LOG_2PI + np.log(factor.r2 / dof))


def _gradient(system: _System, factor: _Factor) -> np.ndarray:
    """d deviance / d log(lambda_k) for (branch, shopper), exact, from the dense factor.

    d log|A| / d log(lambda_k) = 2 (q_k - tr A^-1_kk) and d log r2 / d log(lambda_k) =
    -2 |v_k|^2 / r2, with v_k the scaled effects (see docs/benchmarking.md).
    """
    f = factor
    n_big = system.counts[system.big]
    inv = f.schur_inverse
    w2 = 1.0 / f.d**2
    scaled = system.cross.multiply(w2[:, None]).tocsr()
    k_cross = (system.cross.T @ scaled).toarray() * (f.lam_big**2 * f.lam_small**2)
    k_col = (system.cross.T @ (n_big * w2)) * (f.lam_big**2 * f.lam_small)
    k_corner = f.lam_big**2 * float(np.sum(n_big**2 * w2))
    trace_k = (
        float(np.sum(inv[:-1, :-1] * k_cross))
        + 2.0 * float(inv[:-1, -1] @ k_col)
        + inv[-1, -1] * k_corner
    )
    trace_big = float(np.sum(1.0 / f.d)) + trace_k
    trace_small = float(np.trace(inv[:-1, :-1]))
    dof_over_r2 = (system.n - 1) / f.r2
    grad_big = 2.0 * (n_big.size - trace_big) - 2.0 * dof_over_r2 * float(f.theta_big @ f.theta_big)
    small = f.theta_small[:-1]
    grad_small = 2.0 * (small.size - trace_small) - 2.0 * dof_over_r2 * float(small @ small)
    return np.array([grad_big, grad_small] if system.big == 0 else [grad_small, grad_big])


def _moment_start(system: _System) -> np.ndarray:
    """Rough lambdas from between- and within-level variances, to start the optimiser close."""
    n, mean = system.n, system.ysum / system.n
    total = max(system.yty / n - mean**2, 1e-12)
    estimates = []
    for counts, sums in zip(system.counts, system.sums, strict=True):
        seen = counts > 0
        level_means = sums[seen] / counts[seen]
        between = float(np.average((level_means - mean) ** 2, weights=counts[seen]))
        within = max(total - between, 1e-12)
        estimates.append(max(between - within * float(np.mean(1.0 / counts[seen])), 0.0))
    residual = max(total - sum(estimates), 0.1 * total)
    return np.clip(np.sqrt(np.array(estimates) / residual), 0.05, 10.0)


def _optimise(system: _System, free: list[bool]) -> np.ndarray:
    """Minimise the REML deviance over log(lambda) of the free factors, then try lambda = 0."""
    index = [k for k in range(2) if free[k]]
    dense = system.counts[1 - system.big].size + 1 <= system.dense_limit

    def lambdas(x: np.ndarray) -> np.ndarray:
        lam = np.zeros(2)
        lam[index] = np.exp(x)
        return lam

    # Per degree of freedom, so that the optimiser's first step is of a sensible size.
    scale = 1.0 / max(system.n - 1, 1)

    def objective(x: np.ndarray):
        try:
            factor = _factorise(system, lambdas(x))
        except (np.linalg.LinAlgError, RuntimeError):
            return (np.inf, np.zeros(len(index))) if dense else np.inf
        value = scale * _deviance(system, factor)
        if not dense:
            return value
        return value, scale * _gradient(system, factor)[index]

    start = np.log(_moment_start(system)[index])
    result = minimize(
        objective,
        start,
        jac=dense,
        method="L-BFGS-B",
        bounds=[(np.log(_LAMBDA_MIN), np.log(_LAMBDA_MAX))] * len(index),
        options={"ftol": 1e-12, "gtol": 1e-7, "maxiter": 100},
    )
    lam = lambdas(result.x)
    best = result.fun / scale
    # The deviance is flat near lambda = 0; a tiny lambda is compared with the boundary itself.
    for k in index:
        if lam[k] < 1e-2:
            candidate = lam.copy()
            candidate[k] = 0.0
            value = _deviance(system, _factorise(system, candidate))
            if value <= best:
                lam, best = candidate, value
    return lam


def _finish(system: _System, lam: np.ndarray, notes: list[str]) -> CrossedFit:
    factor = _factorise(system, lam)
    dof = max(system.n - 1, 1)
    sigma2 = factor.r2 / dof if system.n > 1 else 0.0
    posterior = _Posterior(system=system, factor=factor, sigma2=sigma2)
    big, small = system.big, 1 - system.big
    effects = [np.empty(0), np.empty(0)]
    effects[big] = factor.lam_big * factor.theta_big
    effects[small] = factor.lam_small * factor.theta_small[:-1]
    intercept = float(factor.theta_small[-1])
    q_b, q_s = system.counts[0].size, system.counts[1].size

    eye_b, eye_s = sp.identity(q_b, format="csc"), sp.identity(q_s, format="csc")
    branch_effect_var, fair_var = posterior.contrast_variance_pair(eye_b, None)
    shopper_effect_var = posterior.contrast_variance(None, eye_s, np.zeros(q_s))
    intercept_var = float(posterior.contrast_variance(None, None, np.ones(1))[0])
    deviance = _deviance(system, factor) if system.n > 1 and factor.r2 > 0 else 0.0
    return CrossedFit(
        intercept=intercept,
        intercept_var=intercept_var,
        sigma2_branch=float(sigma2 * lam[0] ** 2),
        sigma2_shopper=float(sigma2 * lam[1] ** 2),
        sigma2_residual=float(sigma2),
        branch_effects=effects[0],
        shopper_effects=effects[1],
        branch_effect_var=branch_effect_var,
        shopper_effect_var=shopper_effect_var,
        fair_var=fair_var,
        branch_counts=system.counts[0].astype(np.int64),
        shopper_counts=system.counts[1].astype(np.int64),
        deviance=float(deviance),
        notes=tuple(notes),
        posterior=posterior,
    )


@dataclass(frozen=True, eq=False)
class _Posterior:
    """The joint normal posterior of (effects, mean) given the variance components."""

    system: _System
    factor: _Factor
    sigma2: float

    def _split(self, branch, shopper, k):
        """Contrast matrices for the big and the small factor, in the scaled coordinates."""
        f, big = self.factor, self.system.big
        sizes = (self.system.counts[0].size, self.system.counts[1].size)
        mats = [branch, shopper]
        for idx in range(2):
            if mats[idx] is None:
                mats[idx] = sp.csc_matrix((sizes[idx], k))
            else:
                mats[idx] = sp.csc_matrix(mats[idx])
        return mats[big] * f.lam_big, mats[1 - big] * f.lam_small

    def contrast_variance(self, branch, shopper, intercept) -> np.ndarray:
        intercept = np.atleast_1d(np.asarray(intercept, dtype=float))
        return self._variances(branch, shopper, intercept, with_mean=False)[0]

    def contrast_variance_pair(self, branch, shopper) -> tuple[np.ndarray, np.ndarray]:
        """Variances of k combinations of effects without and with the mean added (one solve).

        With w = R^-T a (S = R'R) and w_mu = R^-T e_mu, the combination plus the mean has
        |w + w_mu|^2 = |w|^2 + 2 w_mu'w + |w_mu|^2, so a branch effect's variance and its fair
        score's variance come from the same whitened block.
        """
        k = (branch if branch is not None else shopper).shape[1]
        return self._variances(branch, shopper, np.zeros(k), with_mean=True)

    def _variances(self, branch, shopper, intercept, *, with_mean, dense=None):
        """sigma^2 c~' A^-1 c~ per contrast (and with the mean added, if `with_mean`).

        With the big factor eliminated, c~' A^-1 c~ = a_big' D^-1 a_big + a2' S^-1 a2 for the
        reduced contrast a2 = [a_small; intercept] - B' D^-1 a_big. `dense` picks how the
        second term is computed (default: through S^-1 where S is factorised densely).
        """
        k = intercept.size
        if self.sigma2 == 0.0:
            return np.zeros(k), np.zeros(k)
        f = self.factor
        a_big, a_small = self._split(branch, shopper, k)
        quad_big = np.asarray(a_big.multiply(a_big).T @ (1.0 / f.d)).ravel()
        dense = f.chol is not None if dense is None else dense
        quadratic = self._reduced_quadratic_dense if dense else self._reduced_quadratic_whitened
        out, plus_mean = quadratic(a_big, a_small, intercept, with_mean)
        first = self.sigma2 * (quad_big + out)
        second = self.sigma2 * (quad_big + plus_mean) if with_mean else None
        return first, second

    def _variances_dense(self, branch, shopper, intercept, *, with_mean):
        return self._variances(branch, shopper, intercept, with_mean=with_mean, dense=True)

    def _variances_whitened(self, branch, shopper, intercept, *, with_mean):
        return self._variances(branch, shopper, intercept, with_mean=with_mean, dense=False)

    def _reduced_quadratic_dense(self, a_big, a_small, intercept, with_mean):
        """a2' S^-1 a2 per contrast (and with e_mu added) through S^-1, a2 kept sparse.

        The reduced contrast of one branch holds only the shoppers who visited it, so this
        costs its non-zeros times m where whitening costs m^2 per contrast: on 5,000 branches
        and 1,000 shoppers the variances took 5 s of a 9 s snapshot (bench/league_rebuild.py);
        the inverse takes one factorisation's time and serves every contrast of the fit.
        """
        f, k = self.factor, intercept.size
        reduced = sp.vstack([a_small, sp.csc_matrix(intercept[None, :])], format="csc")
        reduced = (reduced - f.b.T @ sp.diags(1.0 / f.d) @ a_big).tocsc()
        inverse = f.schur_inverse
        out = np.empty(k)
        plus_mean = np.empty(k) if with_mean else None
        step = max(1, 2_000_000 // max(inverse.shape[0], 1))
        for start in range(0, k, step):
            block = reduced[:, start : start + step]
            solved = np.asarray(block.T @ inverse)  # (S^-1 a2)' per contrast, k x m
            quad = np.asarray(block.multiply(solved.T).sum(axis=0)).ravel()
            out[start : start + step] = quad
            if with_mean:
                plus_mean[start : start + step] = quad + 2.0 * solved[:, -1] + inverse[-1, -1]
        return out, plus_mean

    def _reduced_quadratic_whitened(self, a_big, a_small, intercept, with_mean):
        """The same by whitening each reduced contrast (R^-T a2): the sparse-LU path's way."""
        f, k = self.factor, intercept.size
        a2 = np.vstack([a_small.toarray(), intercept[None, :]])
        a2 -= (f.b.T @ sp.diags(1.0 / f.d) @ a_big).toarray()
        out = np.empty(k)
        plus_mean = np.empty(k) if with_mean else None
        if with_mean:
            unit = np.zeros(a2.shape[0])
            unit[-1] = 1.0
            w_mu = f.whiten(unit)
        step = max(1, 2_000_000 // max(a2.shape[0], 1))
        for start in range(0, k, step):
            white = f.whiten(a2[:, start : start + step])
            out[start : start + step] = np.einsum("ij,ij->j", white, white)
            if with_mean:
                plus_mean[start : start + step] = (
                    out[start : start + step] + 2.0 * (w_mu @ white) + float(w_mu @ w_mu)
                )
        return out, plus_mean

    def draw_fair(self, branches: np.ndarray, draws: int, rng: np.random.Generator):
        """Joint draws of mean + branch effect: theta = theta_hat + sigma L'^-1 z."""
        f, sigma = self.factor, np.sqrt(self.sigma2)
        branches = np.asarray(branches, dtype=np.int64)
        m = f.theta_small.size
        x_small = f.theta_small[:, None] + sigma * f.unwhiten(rng.standard_normal((m, draws)))
        mean = x_small[-1, :]
        if self.system.big == 0:
            # x_big = D^-1 (rhs_big - B x_small) + sigma D^-1/2 z, row by row for `branches`.
            rhs_big = f.lam_big * self.system.sums[0][branches]
            conditional = (rhs_big[:, None] - f.b[branches] @ x_small) / f.d[branches, None]
            noise = rng.standard_normal((branches.size, draws)) / np.sqrt(f.d[branches])[:, None]
            effect = f.lam_big * (conditional + sigma * noise)
        else:
            effect = f.lam_small * x_small[branches, :]
        return mean[None, :] + effect
