/* The column's drive arithmetic alone, for bench/drive_arithmetic.py: 470 cells (the
   column at size 1) of the RS class under their four Poisson streams (300, 50, 125 and
   125 Hz; the column's weights), each input one decay, one jump and one threshold test
   with the engines' own functions (mod/netcol_intf6_math.hpp), its interval and stream
   drawn from std::mt19937_64 (one exponential and one uniform).  Prints the inputs
   applied and the CPU seconds per simulated second. */
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>
#include "netcol_intf6_math.hpp"

int main(int argc, char** argv) {
    const double seconds = argc > 1 ? std::atof(argv[1]) : 20.0;
    const int ncell = 470;
    const double rate[4] = {0.3, 0.05, 0.125, 0.125}, weight[4] = {3.75, 0.75, 1.875, 1.875};
    const int slot[4] = {4, 5, 2, 6};
    const double total = rate[0] + rate[1] + rate[2] + rate[3];   /* inputs per ms */
    const NcPar par{10, 300, 10, 20, 300, 20, 400, -65, -40, -25, 1, 65, 90, -15, 1.6, 1, 1, 1e-11, 0};
    std::mt19937_64 g(1);
    std::exponential_distribution<double> interval(total);
    std::uniform_real_distribution<double> which(0, total);
    long inputs = 0, spikes = 0;
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < ncell; ++i) {
        NcMemb s{0, 0, 0, 0, 0, 0, 0, -40, -40, 0, 0, 0};
        for (double t = interval(g); t < seconds * 1000; t += interval(g)) {
            const double r = which(g);
            const int k = r < rate[0] ? 0 : r < rate[0] + rate[1] ? 1 : r < total - rate[3] ? 2 : 3;
            nc_decay(s, par, t);
            nc_add_slot(s, par, nc_drive_dev(s, par), slot[k], weight[k]);
            if (nc_test(s, par) == 1) { spikes++; s.c_ahp -= 1; }
            ++inputs;
        }
    }
    const double cpu = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("%ld inputs (%.0f per simulated s), %ld threshold crossings; %.4f CPU s per simulated s\n", inputs,
                inputs / seconds, spikes, cpu / seconds);
}
