// notify_floor: the bare USER_NOTIF round trip rows (the floor of every trapped call). See
// notify_floor.cc.
#ifndef RUNSC_BENCH_GBENCH_NOTIFY_FLOOR_H_
#define RUNSC_BENCH_GBENCH_NOTIFY_FLOOR_H_

namespace runsc_bench {

// Registers BM_NotifRoundTrip and BM_NotifRoundTripProcess. Call after every other
// registration: their filters stay on the main thread for the rest of the process.
void RegisterNotifFloors();

}  // namespace runsc_bench

#endif  // RUNSC_BENCH_GBENCH_NOTIFY_FLOOR_H_
