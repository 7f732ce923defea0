module bwtarget/wg_miscount

go 1.19
