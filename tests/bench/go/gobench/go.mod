module bwbench/gobench

go 1.19
