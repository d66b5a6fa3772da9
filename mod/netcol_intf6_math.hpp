/* The membrane arithmetic of the column's cell (shared/spec/intf6.md), shared by the
   per-cell mechanism NetcolIntf6 and the per-rank NetcolColumn so that both compute the
   same bits: one cell's state between events, its decay, an input's jump and the
   threshold test.  Included from their VERBATIM blocks (netcol compiles mod/ with this
   folder on the include path). */
#pragma once

#include <algorithm>
#include <cmath>
#include <cstring>
#include <dlfcn.h>
#include <vector>

static double netcol_exptab[5001];
static int netcol_exptab_ready = 0;

/* The membrane arithmetic, shared by the real event path and the drive planner so that
   both compute bit for bit the same numbers. */
struct NcMemb { double c_am, c_nm, c_ga, c_am2, c_nm2, c_ga2, c_ahp, c_vthc, c_vthr, c_trrs, c_t0, c_refr; };
struct NcPar { double c_tAM, c_tNM, c_tGA, c_tAM2, c_tNM2, c_tGA2, c_tahp, c_rmp, c_vth, c_vblock, c_tRR, c_eam,
               c_enm, c_ega, c_mg, c_mg0, c_maxnmc, c_eps; int c_table; };
/* glibc's exp() is a wrapper (it sets errno on underflow) around the function that
   computes it, which glibc still exports as __exp_finite for old binaries: calling that
   directly gives the same bits and made the column 4 % faster in an A/B.  Elsewhere, or
   if it is missing, std::exp. */
typedef double (*netcol_exp_fn)(double);
static netcol_exp_fn netcol_exp_core() {
#if defined(__GLIBC__)
    for (const char* version : {"GLIBC_2.15", "GLIBC_2.17", "GLIBC_2.27"}) {
        if (void* f = dlvsym(RTLD_DEFAULT, "__exp_finite", version)) { return (netcol_exp_fn) f; }
    }
#endif
    return static_cast<double (*)(double)>(std::exp);
}
static const netcol_exp_fn netcol_fexp = netcol_exp_core();
static inline double nc_exp(double x, int table) {
    if (!table) { return netcol_fexp(x); }
    if (!netcol_exptab_ready) {   /* the original's table: 5000 intervals on [-20, 0] */
        for (int j = 0; j <= 5000; ++j) { netcol_exptab[j] = std::exp(-20.0 + j * (20.0 / 5000.0)); }
        netcol_exptab_ready = 1;
    }
    double xx = x < -20.0 ? -20.0 : (x > 0.0 ? 0.0 : x);
    double pos = (xx + 20.0) * (5000.0 / 20.0);
    int j = (int) pos;
    if (j >= 5000) { j = 4999; }
    return netcol_exptab[j] + (pos - j) * (netcol_exptab[j + 1] - netcol_exptab[j]);
}
static inline void nc_decay(NcMemb& s, const NcPar& p, double tt) {
    double dt0 = tt - s.c_t0;
    if (dt0 > 0) {
        if (s.c_am > p.c_eps) { s.c_am = s.c_am * nc_exp(-dt0 / p.c_tAM, p.c_table); } else { s.c_am = 0; }
        if (s.c_nm > p.c_eps) { s.c_nm = s.c_nm * nc_exp(-dt0 / p.c_tNM, p.c_table); } else { s.c_nm = 0; }
        if (s.c_ga < -p.c_eps) { s.c_ga = s.c_ga * nc_exp(-dt0 / p.c_tGA, p.c_table); } else { s.c_ga = 0; }
        double e2 = -1;   /* distal AMPA and GABA-A usually share a time constant */
        if (s.c_am2 > p.c_eps) { e2 = nc_exp(-dt0 / p.c_tAM2, p.c_table); s.c_am2 = s.c_am2 * e2; } else { s.c_am2 = 0; }
        if (s.c_nm2 > p.c_eps) { s.c_nm2 = s.c_nm2 * nc_exp(-dt0 / p.c_tNM2, p.c_table); } else { s.c_nm2 = 0; }
        if (s.c_ga2 < -p.c_eps) {
            if (e2 < 0 || p.c_tGA2 != p.c_tAM2) { e2 = nc_exp(-dt0 / p.c_tGA2, p.c_table); }
            s.c_ga2 = s.c_ga2 * e2;
        } else { s.c_ga2 = 0; }
        if (s.c_ahp < -p.c_eps) { s.c_ahp = s.c_ahp * nc_exp(-dt0 / p.c_tahp, p.c_table); } else { s.c_ahp = 0; }
    }
    if (s.c_refr == 0 && s.c_vthc != p.c_vth) { s.c_vthc = p.c_vth + (s.c_vthr - p.c_vth) * nc_exp(-(tt - s.c_trrs) / p.c_tRR, p.c_table); }
    s.c_t0 = tt;
}
static const int NC_NMEMB = 12;
static_assert(sizeof(NcMemb) == NC_NMEMB * sizeof(double), "a cached state is NC_NMEMB doubles");
static inline double nc_sum(const NcMemb& s) { return s.c_am + s.c_nm + s.c_ga + s.c_ahp + s.c_am2 + s.c_nm2 + s.c_ga2; }
static inline double nc_drive_dev(const NcMemb& s, const NcPar& p) {
    double D = nc_sum(s);
    if (D < p.c_rmp) { D = p.c_rmp; }
    if (D > -p.c_rmp) { D = -p.c_rmp; }
    return D;
}
static inline double nc_block(const NcPar& p, double v) { return p.c_maxnmc / (1 + netcol_fexp(-0.062 * v) * p.c_mg / p.c_mg0); }
static inline void nc_add(NcMemb& s, const NcPar& p, double D, double wam, double wnm, double wga, double wam2,
                          double wnm2, double wga2) {
    if (wam > 0) { s.c_am = s.c_am + wam * (1 - D / p.c_eam); if (s.c_am < 0) { s.c_am = 0; } }
    if (wam2 > 0) { s.c_am2 = s.c_am2 + wam2 * (1 - D / p.c_eam); if (s.c_am2 < 0) { s.c_am2 = 0; } }
    if (wnm > 0 && s.c_nm < p.c_enm) { s.c_nm = s.c_nm + wnm * nc_block(p, p.c_rmp + D) * (1 - D / p.c_enm); if (s.c_nm < 0) { s.c_nm = 0; } }
    if (wnm2 > 0 && s.c_nm2 < p.c_enm) { s.c_nm2 = s.c_nm2 + wnm2 * nc_block(p, p.c_rmp + D) * (1 - D / p.c_enm); if (s.c_nm2 < 0) { s.c_nm2 = 0; } }
    if (wga > 0 && s.c_ga > p.c_ega) { s.c_ga = s.c_ga - wga * (1 - D / p.c_ega); if (s.c_ga > 0) { s.c_ga = 0; } }
    if (wga2 > 0 && s.c_ga2 > p.c_ega) { s.c_ga2 = s.c_ga2 - wga2 * (1 - D / p.c_ega); if (s.c_ga2 > 0) { s.c_ga2 = 0; } }
}
static inline void nc_add_slot(NcMemb& s, const NcPar& p, double D, int slot, double w) {
    nc_add(s, p, D, slot == 0 ? w : 0, slot == 1 ? w : 0, slot == 2 ? w : 0, slot == 4 ? w : 0, slot == 5 ? w : 0,
           slot == 6 ? w : 0);
}
/* 0: nothing, 1: spike, 2: depolarisation block */
static inline int nc_test(const NcMemb& s, const NcPar& p) {
    double V = p.c_rmp + nc_sum(s);
    if (V < -90) { V = -90; }
    if (V > 0) { V = 0; }
    if (s.c_refr == 0 && V > s.c_vthc) { return V > p.c_vblock ? 2 : 1; }
    return 0;
}
/* A cell's distinct outgoing delays, ascending: delays within min_gap (delmin) of the
   previous kept one count as the same (one delivery callback each, for the scaling steps). */
static inline std::vector<double> nc_distinct_delays(const double* d, int n, double min_gap) {
    std::vector<double> s(d, d + n), out;
    std::sort(s.begin(), s.end());
    for (double x : s) {
        if (out.empty() || x - out.back() > min_gap) { out.push_back(x); }
    }
    return out;
}
