#!/bin/bash
# The session-8 GPU command (2026-11-27, one H100, 16 CPU cores): the PH2 control and three PH2 bundles and the DRIVE
# bundle with its clDice comparison, six trainings at once, each stopped after JOB_LIMIT seconds (a checkpoint every
# 50 epochs survives), weights copied flat into OUTDIR with the logs (logs.tar.gz). Data: the folders written by
# benchmarks/pack_for_device.py into .gpu/data (carry it). On the lent machine, after installing the carried wheels:
#     JOB_LIMIT=480 bash benchmarks/train_on_device.sh $OUT cuda 1000
# usage: bash benchmarks/train_on_device.sh OUTDIR DEVICE EPOCH_SCALE  (from the repository root; EPOCH_SCALE in
# thousandths of the issue budget: 1000 = 400 PH2 epochs and 500 DRIVE epochs; `PY=.venv/bin/python ... cpu 3` is
# the two-epoch CPU dry run made before the lease). What was learnt: every run took 1.0-1.3 s per epoch whatever ran
# beside it, so 400 epochs need 7-9 minutes; give the GPU fewer runs per lease or larger steps, not more workers.
OUTDIR=$1; DEV=${2:-cuda}; SCALE=${3:-1}
R=/tmp/runs; mkdir -p $R $OUTDIR
export PYTHONPATH=$PWD:${PYTHONPATH} OMP_NUM_THREADS=1 PYTHONUNBUFFERED=1
PY=${PY:-python3}
ep() { echo $(( ($1 * SCALE + 999) / 1000 )); }   # SCALE in 1/1000
COMMON="--device $DEV --num_threads 1 --train#handlers#3#save_interval 50 --train#handlers#3#n_saved 1"
PH2="--dataset_dir .gpu/data/ph2 --spatial_size [192,256] --batch_size 16 --epochs $(ep 400) --train#dataloader#num_workers 3"
DRV="--dataset_dir .gpu/data/drive --features [32,32,64,128,256,32] --patch_size [128,128] --roi_size [256,256] --batch_size 2 --epochs $(ep 500) --train#dataloader#num_workers 3"
job() { name=$1; shift; ( date +%s > $R/$name.start; timeout ${JOB_LIMIT:-100000} $PY -m monai.bundle run --bundle_root $R/$name "$@" $COMMON > $R/$name.log 2>&1; echo "rc=$?" >> $R/$name.log; date +%s > $R/$name.end ) & }
B=bundles
job ph2_control --config_file "['$B/ph2_lesion_iterative/configs/train.json','benchmarks/train_ph2_control.json']" --logging_file $B/ph2_lesion_iterative/configs/logging.conf $PH2 --features [32,32,64,128,256,32]
job ph2_iterative --config_file $B/ph2_lesion_iterative/configs/train.json --logging_file $B/ph2_lesion_iterative/configs/logging.conf $PH2 --features [32,32,64,128,256,32]
job ph2_quality --config_file $B/ph2_lesion_quality_refinement/configs/train.json --logging_file $B/ph2_lesion_quality_refinement/configs/logging.conf $PH2 --features [32,64,128,256,32]
job ph2_cdnn --config_file $B/ph2_lesion_cdnn/configs/train.json --logging_file $B/ph2_lesion_cdnn/configs/logging.conf $PH2 --train#dataloader#num_workers 4
job drive_dil --config_file $B/drive_vessel_iterative/configs/train.json --logging_file $B/drive_vessel_iterative/configs/logging.conf $DRV
job drive_cldice --config_file "['$B/drive_vessel_iterative/configs/train.json','benchmarks/train_drive_cldice.json']" --logging_file $B/drive_vessel_iterative/configs/logging.conf $DRV
( while sleep 30; do nvidia-smi --query-gpu=utilization.gpu,memory.used --format=csv,noheader 2>/dev/null; uptime; for f in $R/*.log; do echo "$(basename $f): $(grep -c 'Epoch\[' $f 2>/dev/null) lines; $(tail -c 160 $f | tr '\n' ' ')"; done; done ) > $R/monitor.txt 2>&1 &
MON=$!
for j in $(jobs -p); do [ $j != $MON ] && wait $j; done
kill $MON
for d in $R/*/; do n=$(basename $d); f=$d/models/model.pt; [ -f $f ] || f=$(ls -t $d/models/*.pt 2>/dev/null | head -1); [ -n "$f" ] && cp $f $OUTDIR/$n.pt && echo "$n <- $f"; done
for n in $R/*.start; do b=${n%.start}; echo "$(basename $b) $(( $(cat $b.end) - $(cat $n) )) s"; done | tee $R/times.txt
tar czf $OUTDIR/logs.tar.gz -C $R $(cd $R && ls *.log *.txt)
