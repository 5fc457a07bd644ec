/*
 * engine/voice/emodel.c - the E-model, simplified (emodel.h).
 */
#include "engine/voice/emodel.h"

#include <math.h>

double emodel_idd(double ta_ms)
{
	if (!(ta_ms > 100))
		return 0;
	double x = log2(ta_ms / 100);

	return 25 * (pow(1 + pow(x, 6), 1.0 / 6) - 3 * pow(1 + pow(x / 3, 6), 1.0 / 6) + 2);
}

double emodel_ie_eff(const struct codec *c, double loss_percent, double burst_ratio)
{
	double ppl = loss_percent > 0 ? (loss_percent < 100 ? loss_percent : 100) : 0;
	double burst = burst_ratio > 0 ? burst_ratio : 1;

	return c->ie + (95 - c->ie) * ppl / (ppl / burst + c->bpl);
}

double emodel_r(const struct codec *c, double one_way_delay_ms, double loss_percent,
		double burst_ratio)
{
	return EMODEL_R0 - emodel_idd(one_way_delay_ms) -
	       emodel_ie_eff(c, loss_percent, burst_ratio);
}

double emodel_mos(double r)
{
	if (r < 0)
		return 1;
	if (r > 100)
		return 4.5;
	return 1 + 0.035 * r + r * (r - 60) * (100 - r) * 7e-6;
}
