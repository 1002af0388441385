#!/bin/bash
# Liver RefineNet / control trainings on a lent GPU machine (16 CPU cores), several at once: the network trains on
# the GPU while data-loader workers draw the per-slice samples on the CPU cores (a sample costs about 27 ms of one
# core at the 96² grid, the GPU step a few ms), the self-fed priors from a CPU copy of the network refreshed at each
# epoch's start (--self_network_device cpu). Data: `python benchmarks/pack_for_device.py --out .gpu/data ircad`
# (NIfTI at 1.25 mm in-plane + dataset.json with the lists "training", "patient1", "patient17"); carry .gpu and the
# MONAI wheel (.whl), install it, then, from the repository root:
#     JOBS="rn_p17_s0 rn_p17_s1 rn_p17_s2 rn_p1_s0" WORKERS=3 bash benchmarks/train_liver_on_device.sh $OUT cuda
# A job is named KIND_PATIENTS_sSEED: KIND rn (RefineNet, train.json) or ctl (the plain BasicUNet control),
# PATIENTS p1, p17 or both. Checkpoints come back flat as OUTDIR/<job>.pt with the logs; evaluate here on the
# original DICOM with benchmarks/eval_propagation.py. Dry run on the CPU: `PY=.venv/bin/python ITERS=2 bash ... cpu`.
OUTDIR=$1; DEV=${2:-cuda}
R=/tmp/liver_runs; mkdir -p $R $OUTDIR
export PYTHONPATH=$PWD:${PYTHONPATH} OMP_NUM_THREADS=1 PYTHONUNBUFFERED=1
PY=${PY:-python3}; B=bundles/liver_ct_slice_propagation/configs; D=${DATA:-.gpu/data/ircad}
COMMON="--device $DEV --num_threads 1 --self_network_device cpu --train#dataloader#num_workers ${WORKERS:-3}"
COMMON="$COMMON --dataset_dir $D --data_list_file_path $D/dataset.json --logging_file $B/logging.conf"
[ -n "$ITERS" ] && COMMON="$COMMON --max_epochs 1 --iterations_per_epoch $ITERS"
for job in ${JOBS:-rn_p17_s0 rn_p1_s0 rn_both_s0}; do
    IFS=_ read -r kind patients seed <<< "$job"
    case $patients in p1) key=patient1;; p17) key=patient17;; both) key=training;; *) echo "bad job $job"; exit 2;; esac
    config="$B/train.json"; [ "$kind" = ctl ] && config="['$B/train.json','$B/control_basicunet.json']"
    ( timeout ${JOB_LIMIT:-100000} $PY -m monai.bundle run --config_file "$config" --bundle_root $R/$job \
        --data_list_key $key --seed ${seed#s} $COMMON > $R/$job.log 2>&1; echo "rc=$? $(date +%s)" >> $R/$job.log ) &
done
wait
for d in $R/*/; do n=$(basename $d); [ -f $d/models/model.pt ] && cp $d/models/model.pt $OUTDIR/$n.pt; done
tar czf $OUTDIR/logs.tar.gz -C $R $(cd $R && ls *.log)
