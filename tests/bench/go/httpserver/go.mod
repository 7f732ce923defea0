module bwbench/httpserver

go 1.19
