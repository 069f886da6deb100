#ifndef MP_OPENBLAS_SHIM_H
#define MP_OPENBLAS_SHIM_H
#include <cblas.h>
#endif
